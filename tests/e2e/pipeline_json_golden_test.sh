#!/usr/bin/env bash
# The --json output of params diff, metrics show and metrics diff (revisions and runs), compared byte
# for byte with tests/e2e/golden/*.json; and their --exit-code. Commit ids are replaced by the names
# of their commits (<v1>, <v2>), commit times by TIME and run ids by RUN, so the files say what the
# output must be, not when the test ran. To refresh after an intended change:
# MLOPS_UPDATE_GOLDEN=1 bash tests/e2e/pipeline_json_golden_test.sh (with MLOPS set), then review.
source "$(dirname "$0")/lib.sh"
export GIT_AUTHOR_DATE="2026-01-02T03:04:05+0000" GIT_COMMITTER_DATE="2026-01-02T03:04:05+0000"

new_repo pipeline-golden
cat > mlops.yaml <<'YAML'
stages:
  train:
    cmd: >-
      mkdir -p metrics && printf '{"acc": %s, "epochs": %s, "loss": {"val": %s}, "opt": "%s"}'
      ${train.acc} ${train.epochs} ${train.loss} ${train.opt} > metrics/train.json
    params: [train]
    metrics: [metrics/train.json]
  evaluate:
    cmd: >-
      mkdir -p metrics && printf 'auc: %s\n' ${eval.auc} > metrics/eval.yaml
    params: [eval.auc]
    metrics: [metrics/eval.yaml]
YAML
write_params() {
    printf 'train:\n  acc: %s\n  epochs: %s\n  loss: %s\n  opt: %s\neval:\n  auc: %s\n' "$@" > params.yaml
}
write_params 0.9 5 0.2 sgd 0.75
mlops run -q
commit v1
v1=$(git rev-parse HEAD)
run1=$(mlops --json runs list --stage train | json_get 'j["runs"][0]["run_id"]')
write_params 0.8 7 0.4 sgd 0.75
mlops run -q
commit v2
v2=$(git rev-parse HEAD)
run2=$(mlops --json runs list --stage train | json_get 'j["runs"][0]["run_id"]')
write_params 0.85 7 0.4 adam 0.8 # the work tree: changed, not run

# Names instead of ids and times; then sorted keys, as the other golden files have them.
normalize() {
    sed -e "s/$v1/<v1>/g" -e "s/$v2/<v2>/g" -e "s/\"${v1:0:7}\"/\"<v1>\"/g" -e "s/\"${v2:0:7}\"/\"<v2>\"/g" \
        -e "s/\"$run1\"/\"<run1>\"/g" -e "s/\"$run2\"/\"<run2>\"/g" |
        jq -S 'walk(if type == "object" and has("time") then .time = "TIME" else . end)'
}
GOLDEN_FILTER=normalize

check_golden params_diff mlops --json params diff "$v1"
check_golden params_diff_all mlops --json params diff HEAD~1 HEAD --all
check_golden metrics_show mlops --json metrics show
check_golden metrics_show_all_commits mlops --json metrics show --all-commits
check_golden metrics_diff mlops --json metrics diff HEAD~1
check_golden metrics_diff_runs mlops --json metrics diff --runs "$run1" "$run2"

# --exit-code: 1 when anything differs, 0 when nothing does; the same with --json, -q and --all.
expect_code 1 'train.opt' -- mlops params diff --exit-code
expect_code 1 '' -- mlops --json params diff HEAD~1 HEAD --exit-code
expect_code 0 'No changed params between HEAD and HEAD' -- mlops params diff HEAD HEAD --exit-code
expect_code 0 '' -- mlops params diff HEAD HEAD --all --exit-code
expect_code 0 '' -- mlops params diff HEAD~1 HEAD # without --exit-code a difference is no failure
run mlops -q params diff --exit-code
assert_eq "$RC/$OUT" "1/" "params diff -q --exit-code"
ok "params diff --exit-code"

expect_code 1 'loss.val' -- mlops metrics diff HEAD~1 --exit-code
expect_code 0 'No changed metrics between HEAD and workspace' -- mlops metrics diff --exit-code
expect_code 1 'acc' -- mlops metrics diff HEAD~1 HEAD --format md --exit-code
expect_code 1 '' -- mlops --json metrics diff --runs "$run1" "$run2" --exit-code
expect_code 0 'acc' -- mlops metrics diff HEAD HEAD --all --exit-code
expect_code 0 '' -- mlops metrics diff --runs "$run1" "$run1" --exit-code
ok "metrics diff --exit-code"
finish
