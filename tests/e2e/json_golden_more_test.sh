#!/usr/bin/env bash
# The --json output of the commands json_golden_test.sh and pipeline_json_golden_test.sh leave out:
# remotes (a local folder), push/fetch/pull, run, dag, runs, lineage, reproduce, monitor, watch, and
# (with LibTorch) the registry, signing, export and explain; compared with tests/e2e/golden/*.json.
# Commit dates are pinned; run ids become <name-of-the-run>, times TIME, durations, hosts, users and
# ports placeholders; outputs of trained models (floats that depend on the CPU's kernels, the oids of
# the bundles) become "<number>" and "<oid>". To refresh after an intended change:
# MLOPS_UPDATE_GOLDEN=1 bash tests/e2e/json_golden_more_test.sh (with MLOPS set), then review.
source "$(dirname "$0")/lib.sh"
: "${MLOPS_SOURCE_DIR:?set MLOPS_SOURCE_DIR to the source tree (ctest does)}"
EX="$MLOPS_SOURCE_DIR/examples"
export GIT_AUTHOR_DATE="2026-01-02T03:04:05+0000" GIT_COMMITTER_DATE="2026-01-02T03:04:05+0000"

# IDS: "ID NAME" pairs; each ID (and its first 8 characters) becomes <NAME>.
IDS=""
name_id() { IDS+="$1 $2"$'\n'; }
# normalize [MODE]: ids by name, times, durations, hosts and users by placeholders, sorted keys.
# MODE floats: every non-integer number and "size" becomes "<number>", every 64-hex oid "<oid>" (the
# metrics and bundles of trained models depend on the CPU's kernels); shape: every number too, and
# lists of features sorted by name (their ranking is by those numbers); transfer: the bytes sent or
# received (run records hold host and user names). Lineage edges and the nodes of one layer, which
# come ordered by run id (random), are sorted after the ids are named; the rows of `runs compare`
# that compare times and durations get placeholders.
normalize() {
    IDS="$IDS" python3 -c '
import json, os, re, sys
text = sys.stdin.read()
for line in os.environ["IDS"].splitlines():
    if line.strip():
        i, name = line.split()
        text = text.replace(i, "<%s>" % name).replace(i[:8], "<%s>" % name)
mode = sys.argv[1] if len(sys.argv) > 1 else ""
TIMES = {"time", "started", "ended", "created", "updated", "now", "date"}
NUMBERS = {"started_ns", "ended_ns", "duration_s", "seconds", "pid", "port"}
NAMES = {"host": "HOST", "user": "USER", "signed_by": "USER@HOST", "by": "USER@HOST"}
def is_time(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) or isinstance(v, str) and re.match(r"\d{4}-\d\d-\d\dT", v)
def f(v, key=None):
    if key in TIMES and is_time(v): return "TIME"
    if key in NUMBERS and v is not None: return "<number>"
    if key in NAMES and v is not None: return NAMES[key]
    if mode == "floats" and key == "size": return "<number>"
    if mode == "transfer" and key in ("sent", "received"): return dict(v, bytes="<bytes>")
    if isinstance(v, dict) and v.get("section") == "run" and v.get("key") in ("started", "duration_s"):
        t = "TIME" if v["key"] == "started" else "<number>"  # a runs compare row of times
        v = dict(v, values=[t for _ in v["values"]], deltas=[None] + ["<number>" for _ in v["values"][1:]], differs="<bool>")
        if v["key"] == "started": v["deltas"] = [None for _ in v["values"]]
        return v
    if isinstance(v, dict): return {k: f(x, k) for k, x in v.items()}
    if isinstance(v, list):
        v = [f(x) for x in v]
        if mode == "shape" and all(isinstance(x, dict) and "feature" in x for x in v):
            v.sort(key=lambda x: x["feature"])
        if v and all(isinstance(x, dict) and "from" in x and "to" in x and "kind" in x for x in v):
            v.sort(key=lambda x: (str(x["from"]), str(x["to"])))  # lineage edges: ordered by run id
        if v and all(isinstance(x, dict) and "layer" in x and "id" in x for x in v):
            v.sort(key=lambda x: (x["layer"], x["id"]))  # lineage nodes of one layer: by id
        return v
    if isinstance(v, bool) or v is None: return v
    if mode == "shape" and isinstance(v, (int, float)) or mode == "floats" and isinstance(v, float): return "<number>"
    if mode in ("shape", "floats") and isinstance(v, str) and re.fullmatch("[0-9a-f]{64}", v): return "<oid>"
    return v
print(json.dumps(f(json.loads(text)), indent=2, sort_keys=True))' "$@"
}
# in_tmp CMD...: CMD with the temporary folder (remote URLs) shown as TMP.
in_tmp() { "$@" | sed "s|$E2E_TMP|TMP|g"; }
# exits_1 CMD...: CMD, which must exit with 1 (a refused promotion, a failed check).
exits_1() {
    local rc=0
    "$@" 2>/dev/null || rc=$?
    [ "$rc" = 1 ] || fail "$* exited $rc, expected 1"
}
GOLDEN_FILTER=normalize

# --- a pipeline of two stages, a local folder remote ---------------------------------------------
mkdir -p "$E2E_TMP/more" && cd "$E2E_TMP/more" && git init -q -b main
mlops init -q
mkdir raw && printf 'x,y\n1,2\n3,4\n' > raw/points.csv
mlops add raw -q --git-add
cat > mlops.yaml <<'YAML'
stages:
  prepare:
    cmd: mkdir -p prepared && tail -n +2 raw/points.csv > prepared/points.csv
    deps: [raw]
    outs: [prepared]
  score:
    cmd: "mkdir -p metrics && printf 'rows: %s\\n' $(wc -l < prepared/points.csv) > metrics/score.yaml"
    deps: [prepared]
    metrics: [metrics/score.yaml]
YAML
git add mlops.yaml raw.mlops .gitignore && git commit -qm pipeline
mkdir -p "$E2E_TMP/store"
check_golden remote_add in_tmp mlops --json remote add origin "$E2E_TMP/store"
mlops remote add backup "$E2E_TMP/backup" -q
mlops remote add old "$E2E_TMP/old" -q
check_golden remote_modify mlops --json remote modify backup region eu-west-1
check_golden remote_default mlops --json remote default origin
check_golden remote_default_get mlops --json remote default
check_golden remote_remove mlops --json remote remove old
check_golden completion_values_remotes mlops --json completion values remotes
check_golden completion_values_stages mlops --json completion values stages
check_golden remote_list in_tmp mlops --json remote list

out=$(mlops --json run)
name_id "$(json_get 'j["stages"][0]["run_id"]' <<<"$out")" prepare-run
name_id "$(json_get 'j["stages"][1]["run_id"]' <<<"$out")" score-run
check_golden run printf '%s\n' "$out"
git add mlops.lock && git commit -qm ran
check_golden dag mlops --json dag
# The run records' oids hold their times: by name too.
for r in prepare score; do
    oid=$(mlops --json runs list --stage $r | json_get 'j["runs"][0]["oid"]')
    name_id "$oid" $r-record
    log=$(mlops --json runs show $(mlops --json runs list --stage $r | json_get 'j["runs"][0]["run_id"]') | json_get 'j["log_oid"]')
    [ "$log" = None ] || [ "$log" = null ] || name_id "$log" $r-log
done
check_golden runs_list mlops --json runs list
prep_run=$(mlops --json runs list --stage prepare | json_get 'j["runs"][0]["run_id"]')
check_golden runs_show mlops --json runs show "$prep_run"
check_golden runs_compare mlops --json runs compare "$prep_run" "$(mlops --json runs list --stage score | json_get 'j["runs"][0]["run_id"]')"
check_golden lineage mlops --json lineage prepared
check_golden reproduce mlops --json reproduce "$prep_run" --verify

check_golden remote_status_before in_tmp mlops --json remote status
GOLDEN_FILTER='normalize transfer' check_golden push in_tmp mlops --json push
check_golden remote_status in_tmp mlops --json remote status

# fetch in one clone, pull in another (both receive everything).
for c in fetch pull; do
    git clone -q "$E2E_TMP/more" "$E2E_TMP/$c"
    cd "$E2E_TMP/$c"
    mlops init -q
    mlops remote add origin "$E2E_TMP/store" -q
    GOLDEN_FILTER='normalize transfer' check_golden $c in_tmp mlops --json $c
done
cd "$E2E_TMP/more"

# --- monitor: a tiny prediction log, 1-minute windows, one rule ------------------------------------
python3 - <<'EOF'
import json
base = 1795946400  # 2026-11-29T10:00:00Z
with open("serve.log", "w") as f:
    for i in range(6):
        f.write(json.dumps({"timestamp": base + i * 20, "model": "m", "version": 1,
                            "inputs": {"x": float(i)}, "outputs": ["a" if i % 3 else "b"],
                            "latency_ms": 5.0 + i * 10, "status": 200 if i != 4 else 500}) + "\n")
    f.write("not json\n")
EOF
cat > rules.yaml <<'YAML'
rules:
  - name: slow
    expr: latency_p99_ms > 30
    summary: p99 latency above 30 ms
YAML
check_golden monitor mlops --json monitor serve.log --window 1m --now 2026-11-29T10:05:00Z --rules rules.yaml --no-state

# --- watch --once and --history: a data_change trigger ---------------------------------------------
cat >> mlops.yaml <<'YAML'
triggers:
  - name: new-points
    on: data_change
    paths: [raw]
    run: [prepare, score]
YAML
git add mlops.yaml && git commit -qm triggers
printf 'x,y\n1,2\n3,4\n5,6\n' > raw/points.csv
mlops add raw -q
out=$(mlops --json watch --once)
name_id "$(json_get 'j["triggers"][0]["stages"][0]["run_id"]' <<<"$out")" watch-prepare-run
name_id "$(json_get 'j["triggers"][0]["stages"][1]["run_id"]' <<<"$out")" watch-score-run
check_golden watch_once printf '%s\n' "$out"
check_golden watch_history mlops --json watch --history

# --- LibTorch: registry, signing, export, explain -----------------------------------------------------
require_torch
mkdir -p "$E2E_TMP/models" && cd "$E2E_TMP/models" && git init -q -b main
mlops init -q
python3 "$EX/ml/split.py" "$EX/data/iris.csv" data --test 0.25 --seed 1 --stratify target
write_spec model.yaml data/train.csv data/test.csv 2
mlops train model.yaml -o models/iris -q
GOLDEN_FILTER='normalize floats' check_golden model_register mlops --json model register iris models/iris --tag team=flowers
GOLDEN_FILTER='normalize floats' check_golden model_register_2 mlops --json model register iris models/iris --description again
GOLDEN_FILTER='normalize floats' check_golden model_alias mlops --json model alias iris 1 production
GOLDEN_FILTER='normalize floats' check_golden model_promote mlops --json model promote iris 2 --to production --require "test.accuracy >= 0"
GOLDEN_FILTER='normalize floats' check_golden model_promote_refused exits_1 mlops --json model promote iris 1 --to production --require "test.accuracy > 2"
GOLDEN_FILTER='normalize floats' check_golden model_rollback mlops --json model rollback iris production
GOLDEN_FILTER='normalize floats' check_golden model_list mlops --json model list
GOLDEN_FILTER='normalize floats' check_golden model_show mlops --json model show iris
check_golden completion_values_models mlops --json completion values models
GOLDEN_FILTER='normalize floats' check_golden model_show_version mlops --json model show iris@production
GOLDEN_FILTER='normalize floats' check_golden keygen mlops --json keygen -o release
GOLDEN_FILTER='normalize floats' check_golden model_sign mlops --json model sign iris:1 --key release.pem
GOLDEN_FILTER='normalize floats' check_golden model_verify mlops --json model verify iris:1 --pubkey release.pub.pem
GOLDEN_FILTER='normalize floats' check_golden export_k8s mlops --json export iris@production --format k8s -o deploy
GOLDEN_FILTER='normalize floats' check_golden model_verify_unsigned exits_1 mlops --json model verify iris:2 --pubkey release.pub.pem
mlops model alias iris 2 staging -q
GOLDEN_FILTER='normalize floats' check_golden model_alias_delete mlops --json model alias --delete iris staging
GOLDEN_FILTER='normalize shape' check_golden explain mlops --json explain models/iris data/test.csv --repeats 2 --rows 0 --target 0
finish
