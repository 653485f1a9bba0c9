#!/usr/bin/env bash
# params diff, metrics show and metrics diff on a real pipeline: two commits with different params,
# compared as tables, Markdown and JSON, across revisions and across runs; and the error cases.
source "$(dirname "$0")/lib.sh"

new_repo metrics
cat > mlops.yaml <<'EOF'
stages:
  prepare:
    cmd: mkdir -p data && echo ${prepare.rows} > data/rows.txt
    params: [prepare.rows]
    outs: [data/rows.txt]
  train:
    cmd: >-
      mkdir -p metrics && python3 -c "import json; lr = ${train.lr};
      json.dump({'acc': round(1 - lr, 4), 'epochs': ${train.epochs}, 'loss': {'val': lr * 2}, 'opt': '${train.opt}'},
      open('metrics/train.json', 'w'))"
    deps: [data/rows.txt]
    params: [train]
    metrics: [metrics/train.json]
  evaluate:
    cmd: 'mkdir -p metrics && echo "auc: 0.$(cat data/rows.txt)" > metrics/eval.yaml'
    deps: [data/rows.txt]
    metrics: [metrics/eval.yaml]
EOF
write_params() { printf 'prepare:\n  rows: 75\ntrain:\n  lr: %s\n  epochs: %s\n  opt: sgd\nunused: %s\n' "$1" "$2" "$3" > params.yaml; }

write_params 0.1 5 1
mlops run -q
[ -f metrics/train.json ] && [ -f metrics/eval.yaml ] || fail "the pipeline wrote no metrics"
commit "v1"
v1=$(git rev-parse HEAD)
write_params 0.2 7 2
mlops run -q
commit "v2"
v2=$(git rev-parse HEAD)
write_params 0.3 7 3 # changed in the work tree, not run
ok "a pipeline run at two commits"

# --- params diff ----------------------------------------------------------------------------------
run mlops params diff
assert_eq "$RC" 0 "params diff exit code"
assert_eq "$OUT" "File         Param     Old  New  Change
params.yaml  train.lr  0.2  0.3    +0.1" "params diff (HEAD vs work tree)"
ok "params diff: work tree vs HEAD, only what changed, unused keys left out"

run mlops params diff HEAD~1 HEAD
assert_eq "$OUT" "File         Param         Old  New  Change
params.yaml  train.epochs    5    7      +2
params.yaml  train.lr      0.1  0.2    +0.1" "params diff HEAD~1 HEAD"
run mlops params diff "$v1"
grep -q 'train.lr      0.1  0.3    +0.2' <<<"$OUT" || fail "params diff REV: $OUT"
ok "params diff: REV REV and REV vs work tree"

run mlops params diff HEAD~1 HEAD --all
assert_eq "$(wc -l <<<"$OUT" | tr -d ' ')" 5 "params diff --all rows (header + 4 params)"
grep -Eq '^params.yaml  prepare.rows +75 +75 +0$' <<<"$OUT" || fail "params diff --all lacks prepare.rows: $OUT"
grep -Eq '^params.yaml  train.opt +sgd +sgd$' <<<"$OUT" || fail "params diff --all lacks train.opt: $OUT"
ok "params diff --all shows unchanged params"

run mlops params diff HEAD~1 HEAD --format md
assert_eq "$OUT" "#### Params: \`HEAD~1\` → \`HEAD\`

| File | Param | Old | New | Change |
|---|---|---:|---:|---:|
| params.yaml | train.epochs | 5 | 7 | ▲ +2 |
| params.yaml | train.lr | 0.1 | 0.2 | ▲ +0.1 |" "params diff --format md"
ok "params diff --format md"

run mlops params diff HEAD~1 HEAD --json
assert_eq "$(json_get 'j["old"]["rev"]' <<<"$OUT")" "HEAD~1" "json old rev"
assert_eq "$(json_get 'j["old"]["commit"]' <<<"$OUT")" "$v1" "json old commit"
assert_eq "$(json_get 'j["new"]["commit"]' <<<"$OUT")" "$v2" "json new commit"
assert_eq "$(json_get '[(p["key"], p["old"], p["new"], p["delta"], p["status"]) for p in j["params"]]' <<<"$OUT")" \
    '[["train.epochs", 5, 7, 2, "modified"], ["train.lr", 0.1, 0.2, 0.1, "modified"]]' "params diff --json"
run mlops --json params diff
assert_eq "$(json_get 'j["new"]' <<<"$OUT")" '{"commit": null, "rev": "workspace"}' "json work tree side"
ok "params diff --json"

run mlops params diff HEAD HEAD
assert_eq "$OUT" "No changed params between HEAD and HEAD." "params diff with no change"
ok "params diff without changes says so"

# --- metrics show ---------------------------------------------------------------------------------
run mlops metrics show
assert_eq "$RC" 0 "metrics show exit code"
assert_eq "$OUT" "File                Metric    Value
metrics/eval.yaml   auc        0.75
metrics/train.json  acc         0.8
metrics/train.json  epochs        7
metrics/train.json  loss.val    0.4
metrics/train.json  opt         sgd" "metrics show"
ok "metrics show: every metrics file, JSON and YAML, nested keys dotted"

run mlops metrics show --all-commits
assert_eq "$RC" 0 "metrics show --all-commits exit code"
assert_eq "$(grep -c '^workspace ' <<<"$OUT")" 5 "workspace rows"
assert_eq "$(grep -c "^${v2:0:7} " <<<"$OUT")" 5 "v2 rows"
assert_eq "$(grep -c "^${v1:0:7} " <<<"$OUT")" 5 "v1 rows"
grep -Eq "^${v1:0:7} +metrics/train.json +acc +0.9$" <<<"$OUT" || fail "v1 acc: $OUT"
# newest first
[ "$(grep -n "^${v2:0:7} " <<<"$OUT" | head -1 | cut -d: -f1)" -lt "$(grep -n "^${v1:0:7} " <<<"$OUT" | head -1 | cut -d: -f1)" ] ||
    fail "commits are not newest first: $OUT"
run mlops metrics show --all-commits --json
assert_eq "$(json_get '[r["rev"] for r in j["revisions"]]' <<<"$OUT")" "[\"workspace\", \"${v2:0:7}\", \"${v1:0:7}\"]" "json revisions"
assert_eq "$(json_get 'j["revisions"][2]["commit"]' <<<"$OUT")" "$v1" "json commit"
assert_eq "$(json_get 'j["revisions"][2]["summary"]' <<<"$OUT")" "v1" "json summary"
assert_eq "$(json_get 'j["revisions"][2]["metrics"]["metrics/train.json"]' <<<"$OUT")" \
    '{"acc": 0.9, "epochs": 5, "loss.val": 0.2, "opt": "sgd"}' "json metrics at v1"
run mlops metrics show --format md
assert_eq "$(head -2 <<<"$OUT")" "| File | Metric | Value |
|---|---|---:|" "metrics show --format md header"
grep -qx '| metrics/train.json | acc | 0.8 |' <<<"$OUT" || fail "metrics show md row: $OUT"
ok "metrics show --all-commits (table, json) and --format md"

# --- metrics diff ---------------------------------------------------------------------------------
run mlops metrics diff HEAD~1 HEAD
assert_eq "$OUT" "File                Metric    Old  New  Change  Change %
metrics/train.json  acc       0.9  0.8    -0.1   -11.11%
metrics/train.json  epochs      5    7      +2   +40.00%
metrics/train.json  loss.val  0.2  0.4    +0.2  +100.00%" "metrics diff HEAD~1 HEAD"
ok "metrics diff: deltas and relative change, unchanged metrics hidden"

run mlops metrics diff HEAD~1 HEAD --all --format md
assert_eq "$OUT" "#### Metrics: \`HEAD~1\` → \`HEAD\`

| File | Metric | Old | New | Change | Change % |
|---|---|---:|---:|---:|---:|
| metrics/eval.yaml | auc | 0.75 | 0.75 | 0 | +0.00% |
| metrics/train.json | acc | 0.9 | 0.8 | ▼ -0.1 | -11.11% |
| metrics/train.json | epochs | 5 | 7 | ▲ +2 | +40.00% |
| metrics/train.json | loss.val | 0.2 | 0.4 | ▲ +0.2 | +100.00% |
| metrics/train.json | opt | sgd | sgd |  |  |" "metrics diff --all --format md"
ok "metrics diff --all --format md"

run mlops metrics diff "$v1" "$v2" --json
assert_eq "$(json_get 'j["old"]["commit"]' <<<"$OUT")" "$v1" "metrics json old commit"
assert_eq "$(json_get '[(m["key"], m["old"], m["new"], m["delta"], round(m["relative"], 4)) for m in j["metrics"]]' <<<"$OUT")" \
    '[["acc", 0.9, 0.8, -0.1, -0.1111], ["epochs", 5, 7, 2, 0.4], ["loss.val", 0.2, 0.4, 0.2, 1.0]]' "metrics diff --json"
assert_eq "$(json_get 'j["metrics"][0]["file"]' <<<"$OUT")" "metrics/train.json" "metrics json file"
ok "metrics diff --json"

run mlops metrics diff
assert_eq "$OUT" "No changed metrics between HEAD and workspace." "metrics diff with the work tree as committed"
echo '{"acc": 0.95, "epochs": 7, "loss": {"val": 0.4}, "opt": "adam", "f1": 0.5}' > metrics/train.json
run mlops metrics diff
assert_eq "$OUT" "File                Metric  Old   New  Change  Change %
metrics/train.json  acc     0.8  0.95   +0.15   +18.75%
metrics/train.json  f1        -   0.5
metrics/train.json  opt     sgd  adam" "metrics diff HEAD vs work tree"
ok "metrics diff: work tree vs HEAD, added keys and strings"
git checkout -q metrics/train.json

# --- across runs ----------------------------------------------------------------------------------
run mlops runs list --stage train --json
old_run=$(json_get 'j["runs"][1]["run_id"]' <<<"$OUT")
new_run=$(json_get 'j["runs"][0]["run_id"]' <<<"$OUT")
run mlops metrics diff --runs "$old_run" "${new_run:0:8}"
assert_eq "$RC" 0 "metrics diff --runs exit code"
grep -Eq '^metrics/train.json +acc +0.9 +0.8 +-0.1 +-11.11%$' <<<"$OUT" || fail "metrics diff --runs: $OUT"
run mlops metrics diff --runs "$old_run" "$new_run" --json
assert_eq "$(json_get 'j["old"]["run"]' <<<"$OUT")" "$old_run" "json old run"
assert_eq "$(json_get 'j["new"]["stage"]' <<<"$OUT")" "train" "json new stage"
# The first run happened before the first commit; the second one on top of v1.
assert_eq "$(json_get 'j["old"]["commit"]' <<<"$OUT")" "null" "json old run commit"
assert_eq "$(json_get 'j["new"]["commit"]' <<<"$OUT")" "$v1" "json new run commit"
assert_eq "$(json_get '[m["key"] for m in j["metrics"]]' <<<"$OUT")" '["acc", "epochs", "loss.val"]' "metrics of runs"
expect_code 2 "no run matches 'zzzz'" -- mlops metrics diff --runs zzzz "$new_run"
expect_code 2 "not both" -- mlops metrics diff HEAD --runs "$old_run" "$new_run"
ok "metrics diff --runs compares two run records"

# --- errors ---------------------------------------------------------------------------------------
expect_code 2 "unknown revision 'nope'" -- mlops params diff nope
expect_code 2 "unknown revision 'v9'" -- mlops metrics diff HEAD v9
expect_code 2 "at most two revisions" -- mlops metrics diff HEAD HEAD HEAD
expect_code 2 "format" -- mlops metrics show --format html
ok "unknown revisions and bad options: exit 2, named"

printf '{"acc": 0.9,\n "epochs": ,\n}\n' > metrics/train.json
expect_code 2 '^mlops: error: metrics/train.json:2:12: invalid JSON' -- mlops metrics show
expect_code 2 'metrics/train.json:2:' -- mlops metrics diff
git checkout -q metrics/train.json
# A bad metrics file in an old commit is named with its revision by diff, and skipped with a
# warning by show --all-commits.
printf 'acc: [1,\n' > metrics/eval.yaml
commit "broken"
expect_code 2 'HEAD:metrics/eval.yaml:2:' -- mlops metrics diff HEAD~1 HEAD
git checkout -q HEAD~1 -- metrics/eval.yaml
run mlops metrics show --all-commits
assert_eq "$RC" 0 "show --all-commits with a broken commit"
grep -q "warning: skipping commit $(git rev-parse --short=7 HEAD): .*metrics/eval.yaml:2:" <<<"$ERR" || fail "no warning: $ERR"
ok "invalid metrics files: error with file and line"

new_repo empty
expect_code 2 "mlops.yaml: no pipeline file" -- mlops params diff
expect_code 2 "mlops.yaml: no pipeline file" -- mlops metrics show
expect_code 2 "mlops.yaml: no pipeline file" -- mlops metrics diff
expect_code 2 "other.yaml: no pipeline file" -- mlops metrics show -f other.yaml
ok "no pipeline file: says so"

# A pipeline without metrics, in a repository without commits.
cat > mlops.yaml <<'EOF'
stages:
  s:
    cmd: "true"
    params: [x]
EOF
echo "x: 1" > params.yaml
run mlops metrics show
assert_eq "$OUT" "No metrics files: no stage in mlops.yaml declares \`metrics:\` outputs." "show without metrics"
run mlops params diff
assert_eq "$OUT" "File         Param  Old  New  Change
params.yaml  x        -    1" "params diff before the first commit"
ok "no metrics declared; no commit yet"
finish
