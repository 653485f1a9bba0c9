#!/usr/bin/env bash
# Pipelines end to end: what reruns after a change, the run cache, parallel stages, failures,
# Ctrl-C, and the run records.
source "$(dirname "$0")/lib.sh"

new_repo pipe
cat > params.yaml <<'YAML'
prepare:
  rows: 3
train:
  small: {lr: 0.1}
  large: {lr: 0.01}
YAML
mkdir raw && printf 'a\nb\nc\nd\n' > raw/data.csv
cat > mlops.yaml <<'YAML'
stages:
  prepare:
    cmd: mkdir -p data && head -n ${prepare.rows} raw/data.csv > data/prepared.csv && echo prepare >> ../runs.log
    deps: [raw]
    params: [prepare.rows]
    outs: [data/prepared.csv]
  train:
    foreach: [small, large]
    do:
      cmd: >-
        mkdir -p models metrics && cat data/prepared.csv > models/${item}.pt &&
        lr=$(sed -n 's/^ *${item}: {lr: \(.*\)}/\1/p' params.yaml) &&
        echo "{\"rows\": $(wc -l < data/prepared.csv), \"lr\": $lr}" > metrics/${item}.json &&
        echo train@${item} >> ../runs.log
      deps:
        - data/prepared.csv
      params:
        - train.${item}
      outs:
        - models/${item}.pt
      metrics:
        - metrics/${item}.json
YAML
runs() { cat ../runs.log 2>/dev/null | tr '\n' ' '; }

expect_code 0 "" -- mlops run -q
[ "$(runs)" = "prepare train@small train@large " ] || fail "first run ran: $(runs)"
[ -f mlops.lock ] && grep -q '"train@large"' mlops.lock || fail "mlops.lock lacks the stages"
grep -qx '/prepared.csv' data/.gitignore || fail "cached output not ignored by git"
ok "first run runs every stage in dependency order and writes mlops.lock"

rm ../runs.log
expect_code 0 "up to date" -- mlops run
[ "$(runs)" = "" ] || fail "second run ran: $(runs)"
ok "nothing changed: nothing runs"

git add -A && git commit -qm v1
sed -i 's/lr: 0.1}/lr: 0.5}/' params.yaml
expect_code 0 "train@small: would run \(param params.yaml:train.small changed" -- mlops run --dry-run
[ "$(runs)" = "" ] || fail "dry run ran something"
expect_code 1 "train@small" -- mlops status --exit-code
mlops run -q
[ "$(runs)" = "train@small " ] || fail "a param change reran: $(runs)"
ok "a changed param reruns exactly its stage"

rm ../runs.log
printf 'z\n' >> raw/data.csv   # rows 1-3 unchanged: prepare reruns, its output is identical
mlops run -q
[ "$(runs)" = "prepare " ] || fail "identical upstream output should not rerun downstream: $(runs)"
ok "a dependency change reruns that stage; identical outputs stop the cascade"

rm ../runs.log
git add -A && git commit -qm v2
git checkout -q HEAD~1 -- params.yaml
expect_code 0 "restored from the run cache" -- mlops run
[ "$(runs)" = "" ] || fail "the run cache should have restored train@small: $(runs)"
grep -q '"lr": 0.1' metrics/small.json || fail "restored metrics are not those of lr 0.1"
mlops run --no-run-cache --force -q train@small
[ "$(runs)" = "prepare train@small " ] || fail "--force runs the stage and its upstream, as dvc repro --force: $(runs)"
ok "run cache restores outputs after checking out older params"

# Run records
id=$(mlops runs list --json | json_get 'j["runs"][0]["run_id"]')
[ -n "$id" ] || fail "no run id"
mlops runs show "$id" --json > rec.json
python3 - "$id" <<'PY' || fail "run record lacks fields"
import json, sys
r = json.load(open("rec.json"))
assert r["run_id"] == sys.argv[1] and r["stage"] == "train@small" and r["status"] == "succeeded"
assert r["code"]["commit"] and len(r["code"]["commit"]) == 40
assert r["params"]["params.yaml"]["train.small"] == {"lr": 0.1}
assert r["metrics"]["metrics/small.json"]["lr"] == 0.1
assert r["deps"][0]["path"] == "data/prepared.csv" and len(r["deps"][0]["oid"]) == 64
assert r["outs"][0]["path"] == "models/small.pt" and r["log_oid"]
assert r["host"] and r["user"] and r["tool"]["mlops"]
PY
expect_code 2 "matches" -- mlops runs show ""
ok "every run is recorded with inputs, params, outputs, metrics and code commit"

# Failure: recorded, downstream not run, lock keeps the previous fingerprint, exit 7
cp mlops.lock lock.before
sed -i 's|head -n ${prepare.rows} raw/data.csv|echo broken >\&2 \&\& exit 3; head|' mlops.yaml
printf 'y\n' > raw/other.csv
rm -f ../runs.log
expect_code 7 "stage prepare failed: command exited with status 3" -- mlops run -q
[ "$(runs)" = "" ] || fail "downstream stages ran after a failure: $(runs)"
cmp -s mlops.lock lock.before || fail "mlops.lock changed after a failed stage"
mlops runs list --json | python3 -c 'import json,sys; r=json.load(sys.stdin)["runs"][0]; assert r["stage"]=="prepare" and r["status"]=="failed", r' \
  || fail "the failed run was not recorded"
fid=$(mlops runs list --json | json_get 'j["runs"][0]["run_id"]')
mlops runs show "$fid" --log | grep -q broken || fail "the failed run's log was not kept"
git checkout -q -- mlops.yaml
ok "a failing stage is recorded with its log, stops its downstream, exit 7"

# --keep-going runs what does not depend on the failure
cat > mlops.yaml <<'YAML'
stages:
  bad:
    cmd: exit 1
    outs: [bad.out]
  good:
    cmd: echo ok > good.out
    outs: [good.out]
  after_bad:
    cmd: cat bad.out > after.out
    deps: [bad.out]
    outs: [after.out]
YAML
expect_code 7 "" -- mlops run -q -k
[ -f good.out ] || fail "--keep-going did not run the independent stage"
[ ! -f after.out ] || fail "the stage after the failure ran"
ok "--keep-going"

# Parallel: two independent stages that each wait for the other to have started.
cat > mlops.yaml <<'YAML'
stages:
  a:
    cmd: touch started.a && for i in $(seq 100); do [ -f started.b ] && break; sleep 0.05; done && [ -f started.b ] && echo a > a.out
    outs: [a.out]
  b:
    cmd: touch started.b && for i in $(seq 100); do [ -f started.a ] && break; sleep 0.05; done && [ -f started.a ] && echo b > b.out
    outs: [b.out]
YAML
expect_code 0 "" -- mlops run -q -j 2
rm -f started.a started.b a.out b.out
mlops run --force -q -j 1 >/dev/null 2>&1 && fail "with -j 1 the stages cannot overlap, yet both succeeded"
ok "-j 2 really runs independent stages at the same time"

# Output on the terminal: each stage's lines prefixed with its name under -j 2, bare with -j 1; and in
# the run's log either way.
cat > mlops.yaml <<'YAML'
stages:
  a:
    cmd: printf 'one\ntwo\n'; printf 'err\n' >&2; printf 'last without newline'
  b:
    cmd: echo from-b
YAML
run mlops run -j 2
assert_eq "$RC" 0 "run -j 2 exit code"
for line in "[a] one" "[a] two" "[a] err" "[a] last without newline" "[b] from-b"; do
    grep -qxF "$line" <<<"$ERR" || fail "-j 2 output lacks '$line': $ERR"
done
run mlops run --force -j 1 a
grep -qx 'one' <<<"$ERR" || fail "-j 1 output lacks the bare line: $ERR"
grep -q '^\[a\]' <<<"$ERR" && fail "-j 1 output has a prefix: $ERR"
id=$(mlops --json runs list --stage a -n 1 | json_get 'j["runs"][0]["run_id"]')
assert_eq "$(mlops runs show "$id" --log | tail -n 4)" "one
two
err
last without newline" "the run's log"
ok "stage output: prefixed under -j 2, bare under -j 1, all of it in the log"

# Ctrl-C: children stopped, nothing half-recorded, the next run works.
rm -f started.a started.b
cat > mlops.yaml <<'YAML'
stages:
  slow:
    cmd: touch slow.started && sleep 30 && echo done > slow.out
    outs: [slow.out]
YAML
"$MLOPS" run -q > /dev/null 2>&1 &
pid=$!
for i in $(seq 100); do [ -f slow.started ] && break; sleep 0.05; done
kill -INT $pid
rc=0; wait $pid || rc=$?
[ "$rc" = 130 ] || fail "Ctrl-C should exit 130, got $rc"
sleep 0.2
# (-x: the whole command line, so a "sleep 300" of another test is not taken for it)
pgrep -fx "sleep 30" >/dev/null && fail "the stage's process survived Ctrl-C"
grep -q '"slow"' mlops.lock && fail "an interrupted stage entered mlops.lock"
sed -i 's/sleep 30/true/' mlops.yaml
expect_code 0 "" -- mlops run -q
[ -f slow.out ] || fail "the run after Ctrl-C did not complete"
ok "Ctrl-C stops the stage, records nothing half-done, the next run works"

# gc keeps what lock files and run records name
mlops gc -q
expect_code 0 "" -- mlops fsck -q
mlops run -q --force slow
ok "gc keeps pipeline outputs and run records"

# The index is a cache: losing it loses no run.
before=$(mlops runs list -n 0 --json | json_get 'len(j["runs"])')
rm -f .mlops/index.db*
expect_code 0 "run records" -- mlops fsck --rebuild-index
after=$(mlops runs list -n 0 --json | json_get 'len(j["runs"])')
assert_eq "$after" "$before" "runs after rebuilding the index"
ok "fsck --rebuild-index re-indexes every run record"
finish
