#!/usr/bin/env bash
# End-to-end: the model registry (docs/registry.md): two trained versions, registration from a
# path and from a run, aliases, gated promotion that passes and fails, rollback, bad input, and
# that gc and fsck --rebuild-index keep the registry.
source "$(dirname "$0")/lib.sh"
: "${MLOPS_SOURCE_DIR:?}"
EX="$MLOPS_SOURCE_DIR/examples"
require_torch

new_repo registry
python3 "$EX/ml/split.py" "$EX/data/breast_cancer.csv" data --test 0.25 --seed 1 --stratify target
mlops add data -q --git-add
write_spec model.yaml data/train.csv data/test.csv 2
cat > mlops.yaml <<'YAML'
stages:
  train:
    cmd: mlops train model.yaml -o models/bc --metrics metrics/train.json
    deps: [model.yaml, data/train.csv, data/test.csv]
    outs: [models/bc]
    metrics: [metrics/train.json]
  evaluate:
    cmd: mlops evaluate models/bc data/test.csv -o metrics/eval.json
    deps: [models/bc, data/test.csv]
    metrics: [metrics/eval.json]
YAML
commit "pipeline"
mlops run -q

# --- register from a path: the run, data, code and metrics are found -----------------------------
mlops model register bc models/bc --tag team=health --description "first try" --json > v1.json
assert_eq "$(json_get 'j["version"]' < v1.json)" 1 "first version number"
train_run=$(mlops runs list --stage train --json | json_get 'j["runs"][0]["run_id"]')
assert_eq "$(json_get 'j["run"]' < v1.json)" "$train_run" "version 1 names the run that made it"
assert_eq "$(json_get 'j["code"]["commit"]' < v1.json)" "$(git rev-parse HEAD)" "version 1 names the code commit"
assert_eq "$(json_get 'j["tags"]["team"]' < v1.json)" health "tag"
# accuracy comes from the evaluate run that consumed the model; test.accuracy from the bundle.
acc1=$(json_get 'j["metrics"]["accuracy"]' < v1.json)
python3 -c "import json; assert abs($acc1 - json.load(open('metrics/eval.json'))['accuracy']) < 1e-12" || fail "metric from evaluate"
json_get 'j["metrics"]["test.accuracy"]' < v1.json > /dev/null || fail "bundle metrics"
json_get '[d["path"] for d in j["data"]]' < v1.json | grep -q "data/train.csv" || fail "data oids recorded"
ok "register from a path finds run, code, data and metrics"

# --- a second version, trained longer, registered from its run id --------------------------------
sed -i 's/epochs: 2/epochs: 12/' model.yaml
commit "train longer"
mlops run -q
train_run2=$(mlops runs list --stage train --json | json_get 'j["runs"][0]["run_id"]')
[ "$train_run2" != "$train_run" ] || fail "a new train run"
mlops model register bc "${train_run2:0:8}" --json > v2.json
assert_eq "$(json_get 'j["version"]' < v2.json)" 2 "second version number"
assert_eq "$(json_get 'j["source"]' < v2.json)" models/bc "registered from the run's bundle output"
acc2=$(json_get 'j["metrics"]["accuracy"]' < v2.json)
ok "register from a run id"

expect_code 0 "bc +2 +2" -- mlops model list
mlops model show bc:1 | grep -q "tag         team=health" || fail "show a version"
mlops model show bc --json | json_get 'len(j["versions"])' | grep -qx 2 || fail "show a model"

# --- aliases ----------------------------------------------------------------------------------
expect_code 0 "bc@staging -> version 1" -- mlops model alias bc 1 staging
assert_eq "$(mlops model show bc@staging --json | json_get 'j["version"]')" 1 "NAME@ALIAS resolves"
expect_code 0 "bc@staging deleted" -- mlops model alias --delete bc staging
expect_code 2 "model bc has no alias 'staging' \(it has no aliases\)" -- mlops model show bc@staging
ok "alias set, resolve, delete"

# --- gated promotion --------------------------------------------------------------------------
expect_code 0 "bc@production -> version 1" -- mlops model promote bc 1 --to production --require "accuracy>=0.5" --require "f1_macro>=current"
before=$(repo_state)
expect_code 1 "promotion refused: 1 of 2 gates failed; bc@production unchanged" -- \
    mlops model promote bc 2 --to production --require "accuracy>=0.5" --require "accuracy>=1.01"
mlops model promote bc 2 --to production --require "accuracy>=1.01" > "$E2E_TMP/table.txt" 2>/dev/null || true
grep -Eq "accuracy>=1.01 +accuracy .* FAIL" "$E2E_TMP/table.txt" || fail "the failure table names the gate: $(cat "$E2E_TMP/table.txt")"
assert_eq "$(repo_state)" "$before" "a refused promotion changes nothing"
assert_eq "$(mlops model show bc@production --json | json_get 'j["version"]')" 1 "production still version 1"
expect_code 1 "" -- mlops model promote bc 2 --to production --require "accuracy>current+1"
# A comparison with the current holder, decided by the real metrics.
want=$(python3 -c "print(0 if $acc2 >= $acc1 else 1)")
run mlops model promote bc 2 --to production --require "accuracy>=current" --json
assert_eq "$RC" "$want" "accuracy>=current exit code (v1 $acc1, v2 $acc2)"
assert_eq "$(json_get 'j["gates"][0]["current"]' <<<"$OUT")" "$acc1" "the gate compared with the holder's value"
if [ "$want" = 1 ]; then
    expect_code 0 "bc@production -> version 2 \(was version 1\)" -- mlops model promote bc 2 --to production --require "accuracy>=current-1"
fi
expect_code 0 "already version 2; nothing to do" -- mlops model promote bc 2 --to production
events=$(mlops model show bc --json)
assert_eq "$(json_get '[e["action"] for e in j["events"] if e["alias"]=="production"]' <<<"$events")" '["promote", "promote"]' "promotion events"
assert_eq "$(json_get 'j["events"][-1]["gates"][0]["ok"]' <<<"$events")" true "the event records its gate results"
assert_eq "$(json_get 'j["events"][-1]["from"]' <<<"$events")" 1 "the event records where the alias was"
ok "promotion passes and fails by its gates; events record who, when, from, to and gates"

# --- rollback ---------------------------------------------------------------------------------
expect_code 0 "bc@production -> version 1 \(was version 2\)" -- mlops model rollback bc production
assert_eq "$(mlops model show bc@production --json | json_get 'j["version"]')" 1 "rolled back"
expect_code 2 "no earlier holder to roll back to" -- mlops model rollback bc production
ok "rollback moves the alias back"

# --- commands that load models take NAME@ALIAS ---------------------------------------------------
got=$(mlops evaluate bc@production data/test.csv --json | jq -r .accuracy)
python3 -c "assert abs($got - $acc1) < 1e-12" || fail "evaluate bc@production gives version 1's accuracy ($got vs $acc1)"
mlops predict bc:2 data/test.csv -o "$E2E_TMP/pred.csv" -q
[ "$(wc -l < "$E2E_TMP/pred.csv")" -gt 100 ] || fail "predict bc:2"
mlops drift data/train.csv data/test.csv --model bc@production --target target --json > "$E2E_TMP/drift.json" || true
jq -e '.' "$E2E_TMP/drift.json" > /dev/null || fail "drift --model bc@production"
ok "evaluate, predict and drift load registered models by NAME@ALIAS and NAME:VERSION"

# --- bad input: one line, exit 2, nothing changed --------------------------------------------
before=$(repo_state)
expect_code 2 "no model named 'nope' in the registry \(models: bc\)" -- mlops model show nope
expect_code 2 "model bc has no version 9 \(versions 1 to 2\)" -- mlops model show bc:9
expect_code 2 "model bc has no alias 'prod' \(aliases: production\)" -- mlops model show bc@prod
expect_code 2 "gate 'accuracy>>0.9': expected a number at column 10" -- mlops model promote bc 2 --to production --require "accuracy>>0.9"
expect_code 2 "gate 'auc>=0.9': bc version 2 has no metric 'auc' \(it has: " -- mlops model promote bc 2 --to production --require "auc>=0.9"
expect_code 2 "model reference 'bc:x'" -- mlops model show bc:x
expect_code 2 "'nothing-here' is neither a path in the work tree nor a recorded run" -- mlops model register bc nothing-here
expect_code 2 "'bad name' is not a valid model name" -- mlops model register "bad name" models/bc
expect_code 2 "--tag 'oops': expected KEY=VALUE" -- mlops model register bc models/bc --tag oops
evaluate_run=$(mlops runs list --stage evaluate --json | json_get 'j["runs"][0]["run_id"]')
expect_code 2 "run $evaluate_run has no output 'nope' \(outputs: metrics/eval.json\)" -- mlops model register bc "$evaluate_run" --output nope
assert_eq "$(repo_state)" "$before" "bad input changed nothing"
# An ambiguous run prefix lists the candidates.
prefix=""
for a in $(mlops runs list -n 0 --json | json_get '" ".join(r["run_id"] for r in j["runs"])'); do
    for b in $(mlops runs list -n 0 --json | json_get '" ".join(r["run_id"] for r in j["runs"])'); do
        [ "$a" != "$b" ] && [ "${a:0:1}" = "${b:0:1}" ] && prefix=${a:0:1}
    done
done
if [ -n "$prefix" ]; then
    expect_code 2 "run id prefix '$prefix' matches [0-9]+ runs:" -- mlops model register bc "$prefix"
fi
ok "bad input is one line, exit 2, nothing changed"

# --- gc keeps every registered version; the index is rebuilt from the objects ---------------------
v1_model=$(json_get 'j["model"]["oid"]' < v1.json)
rm -rf models/bc
mlops gc -q
[ -f "$(object_path "$v1_model")" ] || fail "gc removed a registered model"
rm .mlops/index.db
mlops fsck --rebuild-index --json > fsck.json || true
[ "$(json_get 'j["registry_objects_indexed"]' < fsck.json)" -ge 6 ] || fail "registry re-indexed: $(cat fsck.json)"
assert_eq "$(mlops model show bc@production --json | json_get 'j["version"]')" 1 "registry state after rebuilding the index"
ok "gc keeps registered versions; fsck --rebuild-index restores the registry"

finish
