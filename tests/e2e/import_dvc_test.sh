#!/usr/bin/env bash
# mlops import-dvc on a DVC-shaped project written by hand (no dvc binary needed): dvc.yaml with
# foreach, vars, params, metrics and plots; *.dvc files for a file, a folder, data only in DVC's
# cache and data gone; .dvc/config remotes. Then the converted pipeline runs and status is clean.
source "$(dirname "$0")/lib.sh"

new_repo proj
mkdir -p data/images .dvc/cache/files/md5
cp "$MLOPS_SOURCE_DIR/examples/data/iris.csv" data/raw.csv
printf 'a\n' > data/images/a.txt
printf 'b\n' > data/images/b.txt
printf 'id,v\n1,x\n' > "$E2E_TMP/extra.csv"
# The .dvc files, with the md5s DVC would record (a folder's is the md5 of its JSON listing).
python3 - "$E2E_TMP/extra.csv" <<'PY'
import hashlib, json, os, shutil, sys
def md5(p): return hashlib.md5(open(p, "rb").read()).hexdigest()
def dvc(path, out):
    with open(path, "w") as f:
        f.write("outs:\n")
        for k, v in out.items():
            f.write(f"- {k}: {v}\n" if k == "md5" else f"  {k}: {v}\n")
dvc("data/raw.csv.dvc", {"md5": md5("data/raw.csv"), "size": os.path.getsize("data/raw.csv"), "hash": "md5", "path": "raw.csv"})
listing = [{"md5": md5(f"data/images/{n}"), "relpath": n} for n in sorted(os.listdir("data/images"))]
dir_md5 = hashlib.md5(json.dumps(listing, sort_keys=True).encode()).hexdigest() + ".dir"
dvc("data/images.dvc", {"md5": dir_md5, "size": 4, "nfiles": 2, "hash": "md5", "path": "images"})
extra = md5(sys.argv[1])
os.makedirs(f".dvc/cache/files/md5/{extra[:2]}", exist_ok=True)
shutil.copy(sys.argv[1], f".dvc/cache/files/md5/{extra[:2]}/{extra[2:]}")
dvc("data/extra.csv.dvc", {"md5": extra, "size": 9, "hash": "md5", "path": "extra.csv"})
dvc("data/gone.csv.dvc", {"md5": "0" * 32, "size": 3, "hash": "md5", "path": "gone.csv"})
PY
printf '/raw.csv\n/images\n/extra.csv\n/gone.csv\n' > data/.gitignore
cat > params.yaml <<'YAML'
prepare:
  split: 0.2
train:
  epochs: 3
  lr: 0.1
YAML
cat > prepare.py <<'PY'
import os, sys
rows = open("data/raw.csv").read().splitlines()
n = int(len(rows) * (1 - float(sys.argv[1])))
os.makedirs("data/prepared", exist_ok=True)
open("data/prepared/train.csv", "w").write("\n".join(rows[:n]) + "\n")
open("data/prepared/test.csv", "w").write("\n".join(rows[:1] + rows[n:]) + "\n")
PY
cat > train.py <<'PY'
import json, os, sys
size = sys.argv[1]
rows = len(open("data/prepared/train.csv").read().splitlines())
os.makedirs("models", exist_ok=True); os.makedirs("metrics", exist_ok=True)
open(f"models/{size}.txt", "w").write(f"{size} {rows}\n")
json.dump({"rows": rows, "acc": 0.9 if size == "large" else 0.8}, open(f"metrics/{size}.json", "w"))
PY
cat > dvc.yaml <<'YAML'
vars:
  - params.yaml:prepare
stages:
  prepare:
    cmd: python3 prepare.py ${prepare.split}
    deps:
      - prepare.py
      - data/raw.csv
    params:
      - prepare.split
    outs:
      - data/prepared
  train:
    foreach: [small, large]
    do:
      cmd: python3 train.py ${item}
      deps:
        - train.py
        - data/prepared
      params:
        - train
      outs:
        - models/${item}.txt
      metrics:
        - metrics/${item}.json:
            cache: false
  report:
    cmd: mkdir -p plots && printf 'step,loss\n1,0.5\n' > plots/loss.csv
    deps:
      - metrics/small.json
    params:
      - params.yaml:
    plots:
      - plots/loss.csv:
          x: step
          y: loss
    meta:
      owner: ada
plots:
  - plots/loss.csv
YAML
# dvc.lock: prepare ran (its record matches the work tree, so it is carried over as up to date);
# train@small's record is stale (so it is not).
python3 prepare.py 0.2
python3 - <<'PY'
import hashlib, json, os
def md5(p): return hashlib.md5(open(p, "rb").read()).hexdigest()
def dir_md5(d):
    listing = [{"md5": md5(f"{d}/{n}"), "relpath": n} for n in sorted(os.listdir(d))]
    return hashlib.md5(json.dumps(listing, sort_keys=True).encode()).hexdigest() + ".dir"
open("dvc.lock", "w").write(f"""schema: '2.0'
stages:
  prepare:
    cmd: python3 prepare.py 0.2
    deps:
    - path: data/raw.csv
      hash: md5
      md5: {md5("data/raw.csv")}
    - path: prepare.py
      hash: md5
      md5: {md5("prepare.py")}
    params:
      params.yaml:
        prepare.split: 0.2
    outs:
    - path: data/prepared
      hash: md5
      md5: {dir_md5("data/prepared")}
  train@small:
    cmd: python3 train.py small
    deps:
    - path: data/prepared
      md5: {dir_md5("data/prepared")}
    - path: train.py
      md5: 00000000000000000000000000000000
    outs:
    - path: models/small.txt
      md5: 11111111111111111111111111111111
    - path: metrics/small.json
      md5: 22222222222222222222222222222222
""")
PY
printf '/prepared\n' >> data/.gitignore
cat > .dvc/config <<'INI'
[core]
    remote = storage
['remote "storage"']
    url = ../dvc-storage
['remote "s3store"']
    url = s3://bucket/path
    endpointurl = http://127.0.0.1:9000
['remote "gdrive"']
    url = gdrive://1AbCdEf
INI
git add -A && git commit -qm "a DVC project"
state_before=$(git status --porcelain; find . -path ./.git -prune -o -type f -print | sort | xargs sha256sum)

# --dry-run writes nothing.
run mlops import-dvc --dry-run
assert_eq "$RC" 0 "dry run"
grep -q "Would write mlops.yaml: 3 stages (prepare, train, report)" <<<"$OUT" || fail "dry run summary: $OUT"
grep -q "Would track data/extra.csv.mlops (from DVC cache" <<<"$OUT" || fail "dry run tracking: $OUT"
grep -q "Would record up to date in mlops.lock (dvc.lock matches the work tree): prepare$" <<<"$OUT" || fail "dry run lock: $OUT"
assert_eq "$(git status --porcelain; find . -path ./.git -prune -o -type f -print | sort | xargs sha256sum)" "$state_before" "--dry-run changed files"
ok "--dry-run shows the plan and writes nothing"

# A broken dvc.yaml: one error line with file:line:column, nothing written.
cp dvc.yaml dvc.yaml.good
printf 'stages:\n  a: [unclosed\n' > dvc.yaml
expect_code 2 "^mlops: error: dvc.yaml:[0-9]+:[0-9]+: " -- mlops import-dvc
[ ! -e mlops.yaml ] && [ ! -e data/raw.csv.mlops ] || fail "a failed import wrote files"
mv dvc.yaml.good dvc.yaml
ok "a malformed dvc.yaml is one error naming file:line:column; nothing is written"

# The import itself, its --json checked against the golden file.
check_golden import_dvc mlops import-dvc --json
[ -f mlops.yaml ] || fail "no mlops.yaml"
for p in data/raw.csv data/images data/extra.csv; do [ -f "$p.mlops" ] || fail "no pointer file for $p"; done
[ ! -e data/gone.csv.mlops ] || fail "data that is nowhere was tracked"
assert_eq "$(cat data/extra.csv)" "$(cat "$E2E_TMP/extra.csv")" "data restored from DVC's cache"
assert_eq "$(oid_of data/raw.csv.mlops)" "$(sha256 data/raw.csv)" "DVC's md5 became SHA-256"
assert_eq "$(mlops config remote.storage.url)" "dvc-storage" "local remote: DVC reads ../dvc-storage relative to .dvc/"
assert_eq "$(mlops config remote.s3store.endpoint)" "http://127.0.0.1:9000" "s3 endpoint"
assert_eq "$(mlops config core.remote)" "storage" "default remote"
expect_code 2 "mlops.yaml exists already; --force replaces it" -- mlops import-dvc
mlops status --exit-code data/raw.csv data/images data/extra.csv > /dev/null || fail "imported data not clean: $(mlops status)"
assert_eq "$(mlops --json status | json_get '{s["stage"]: s["state"] for s in j["stages"]}')" \
    '{"prepare": "up-to-date", "report": "changed", "train@large": "changed", "train@small": "changed"}' "stages right after the import"
ok "dvc.lock: a stage whose record matches the work tree is up to date in mlops.lock; a stale one is not"
ok "import-dvc writes mlops.yaml, pointer files (SHA-256), remotes; never overwrites mlops.yaml"

# The converted pipeline works: dag, run, then everything is clean.
run mlops dag
assert_eq "$RC" 0 "mlops dag: $ERR"
grep -q "train@small" <<<"$OUT" || fail "dag: $OUT"
mlops run > run.out 2>&1 || fail "mlops run on the converted pipeline failed: $(cat run.out)"
grep -q "running prepare" run.out && fail "prepare ran again although dvc.lock showed it up to date: $(cat run.out)"
assert_eq "$(cat models/large.txt)" "large 120" "the train@large stage ran with the converted params"
[ -f plots/loss.csv ] || fail "the report stage did not run"
mlops status --exit-code >/dev/null || fail "status not clean after import and run: $(mlops status)"
mlops import-dvc --force -q || fail "--force"
ok "the converted pipeline runs (dag, run) and status is clean"
finish
