#!/usr/bin/env bash
# End-to-end: lineage (docs/lineage.md), runs compare and reproduce --verify (docs/reproduce.md) on
# a real pipeline: raw data -> prepare -> train -> evaluate -> registry -> production alias.
source "$(dirname "$0")/lib.sh"
: "${MLOPS_SOURCE_DIR:?}"
EX="$MLOPS_SOURCE_DIR/examples"
require_torch

new_repo lineage
mkdir raw && cp "$EX/data/breast_cancer.csv" raw/
mlops add raw -q --git-add
cp "$EX/ml/split.py" .
write_spec model.yaml prepared/train.csv prepared/test.csv 3
cat > mlops.yaml <<'YAML'
stages:
  prepare:
    cmd: python3 split.py raw/breast_cancer.csv prepared --test 0.25 --seed 42 --stratify target
    deps: [split.py, raw/breast_cancer.csv]
    outs: [prepared]
  train:
    cmd: mlops train model.yaml -o models/bc --metrics metrics/train.json
    deps: [model.yaml, prepared/train.csv, prepared/test.csv]
    outs: [models/bc]
    metrics: [metrics/train.json]
  evaluate:
    cmd: mlops evaluate models/bc prepared/test.csv -o metrics/eval.json
    deps: [models/bc, prepared/test.csv]
    metrics: [metrics/eval.json]
YAML
commit "pipeline"
mlops run -q
train1=$(mlops runs list --stage train --json | jq -r '.runs[0].run_id')
mlops model register bc "$train1" -q
mlops model promote bc 1 --to production -q

# --- lineage from the raw file reaches the production alias, and back ------------------------------
down=$(mlops lineage raw/breast_cancer.csv --downstream --format json)
jq -e '.nodes[] | select(.id == "alias:bc@production")' <<<"$down" > /dev/null || fail "downstream of the raw file reaches bc@production"
for stage in prepare train evaluate; do
    jq -e --arg s "$stage" '.nodes[] | select(.kind == "run" and .details.stage == $s)' <<<"$down" > /dev/null || fail "downstream passes run $stage"
done
up=$(mlops lineage bc@production --upstream --format json)
jq -e '.nodes[] | select(.kind == "artifact" and (.details.paths | index("raw/breast_cancer.csv")))' <<<"$up" > /dev/null ||
    fail "upstream of bc@production reaches raw/breast_cancer.csv"
jq -e '.nodes[] | select(.kind == "run" and .details.stage == "train" and .details.commit != null)' <<<"$up" > /dev/null || fail "the train run with its commit"
jq -e '[.nodes[] | select(.kind == "run" and .details.stage == "evaluate")] | length == 0' <<<"$up" > /dev/null || fail "--upstream leaves out consumers"
ok "lineage: raw data -> prepare -> train -> model -> version -> alias, both ways"

depth=$(mlops lineage bc@production --upstream --depth 2 --format json | jq '[.nodes[].layer] | min')
assert_eq "$depth" -2 "--depth 2"
mlops lineage models/bc | grep -q "<- output    train" || fail "text view: $(mlops lineage models/bc)"
# Here-strings, not pipes into head/grep -q: with pipefail a reader quitting early can fail the writer.
out=$(mlops lineage models/bc --format dot)
[[ "$out" == "digraph lineage {"* ]] || fail "dot: $(head -3 <<<"$out")"
out=$(mlops lineage models/bc --format mermaid)
[[ "$out" == "graph LR"* ]] || fail "mermaid: $(head -3 <<<"$out")"
mlops lineage "$train1" --format json | jq -e '.target == "run:'"$train1"'"' > /dev/null || fail "a run id as target"
model_oid=$(mlops model show bc:1 --json | jq -r .model.oid)
mlops lineage "${model_oid:0:10}" --format json | jq -e '.target == "artifact:'"$model_oid"'"' > /dev/null || fail "an oid prefix as target"
expect_code 0 "wrote lineage.html" -- mlops lineage raw/breast_cancer.csv --format html -o lineage.html
grep -q "bc@production" lineage.html || fail "the page names the alias"
! grep -Eq '(src|href)="(https?:)?//' lineage.html || fail "the page loads nothing from the network"
grep -q 'href="#node-' lineage.html || fail "nodes link to their details"
if render_in_chromium lineage.html; then
    grep -q "bc@production" dom.html || fail "chromium renders the page"
fi
ok "lineage formats: text, dot, mermaid, json, html (self-contained)"

expect_code 2 "no lineage for 'nothing/here'" -- mlops lineage nothing/here
expect_code 2 "no model named 'nope'" -- mlops lineage nope@production
expect_code 2 "--format 'svg': expected text, dot, mermaid, json or html" -- mlops lineage models/bc --format svg
ok "lineage bad input"

# --- runs compare ---------------------------------------------------------------------------------
sed -i 's/epochs: 3/epochs: 6/' model.yaml
commit "longer"
mlops run -q
train2=$(mlops runs list --stage train --json | jq -r '.runs[0].run_id')
cmp=$(mlops runs compare "$train1" "$train2" --json)
jq -e '.rows[] | select(.section == "input" and .key == "model.yaml" and .differs)' <<<"$cmp" > /dev/null || fail "compare: model.yaml differs"
jq -e '.rows[] | select(.section == "input" and .key == "prepared/train.csv" and (.differs | not))' <<<"$cmp" > /dev/null || fail "compare: same data"
jq -e '.rows[] | select(.section == "metric" and .key == "metrics/train.json:test.accuracy" and .deltas[1] != null)' <<<"$cmp" > /dev/null ||
    fail "compare: metric deltas: $cmp"
jq -e '.rows[] | select(.section == "run" and .key == "commit" and .differs)' <<<"$cmp" > /dev/null || fail "compare: commits"
mlops runs compare "$train1" "$train2" | grep -q "metrics/train.json:test.accuracy" || fail "compare table"
expect_code 2 "runs compare needs at least two runs" -- mlops runs compare "$train1"
ok "runs compare: params, metrics, inputs and code side by side with deltas"

# --- reproduce --verify -----------------------------------------------------------------------------
out=$(mlops reproduce "$train1" --verify --json)
assert_eq "$(jq -r .identical <<<"$out")" true "reproduce --verify of a deterministic training run: $out"
assert_eq "$(jq -r '.outputs[] | select(.path == "models/bc") | .identical' <<<"$out")" true "the model bundle is bit for bit the same"
assert_eq "$(git rev-parse HEAD)" "$(git rev-parse HEAD)" "HEAD untouched"
expect_code 0 "identical +models/bc" -- mlops reproduce "$train1" --verify
prep=$(mlops runs list --stage prepare --json | jq -r '.runs[-1].run_id')
expect_code 0 "reproduced: all 1 output identical" -- mlops reproduce "$prep" --verify
ok "reproduce --verify: identical outputs"

# A tampered input object: reported as a difference, nothing is run with it.
train_csv=$(mlops runs show "$train1" --json | jq -r '.deps[] | select(.path == "prepared/train.csv") | .oid')
obj=$(object_path "$train_csv")
chmod u+w "$obj"
sed -i '2s/^./9/' "$obj"
expect_code 1 "DIFFERENT +input prepared/train.csv" -- mlops reproduce "$train1" --verify
expect_code 3 "input object no longer matches its oid: prepared/train.csv" -- mlops reproduce "$train1"
ok "reproduce reports a tampered input"

# Bad input: a commit that no longer exists; an ambiguous or unknown run.
git checkout -q --orphan other && git commit -qm "unrelated" && git branch -D -q main && git reflog expire --expire=now --all && git gc -q --prune=now
expect_code 2 "the code commit [0-9a-f]{12} of run $prep no longer exists in this repository" -- mlops reproduce "$prep"
expect_code 2 "no run matches 'zzz'" -- mlops reproduce zzz
ok "reproduce bad input"

finish
