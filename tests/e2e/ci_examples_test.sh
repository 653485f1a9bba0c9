#!/usr/bin/env bash
# The CI examples (examples/ci/github-actions.yml and gitlab-ci.yml) run locally: their `run:` and
# `script:` blocks, read from the YAML files with PyYAML, execute in a clone of a project whose
# data lives on a folder remote, with fake `gh` and `curl` recording what would be posted. The
# install step (apt-get and a full build) is the one block not run: the binary under test stands
# in for it. No network.
source "$(dirname "$0")/lib.sh"
: "${MLOPS_SOURCE_DIR:?set MLOPS_SOURCE_DIR to the project root (ctest does)}"
export PATH="$(cd "$(dirname "$MLOPS")" && pwd):$PATH"
python3 -c 'import yaml' 2> /dev/null || fail "python3-yaml is not installed (scripts/install-deps.sh installs it)"
CI_DIR="$MLOPS_SOURCE_DIR/examples/ci"

# data NAME SEED SHIFT: 300 rows of two numeric columns (seeded, so the verdicts are stable).
data() {
    python3 - "$@" <<'PY'
import random, sys
name, seed, shift = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
r = random.Random(seed)
with open(name, "w") as f:
    f.write("x,y\n")
    for _ in range(300):
        f.write(f"{r.gauss(0, 1) + shift:.5f},{r.uniform(0, 10) + shift * 4:.5f}\n")
PY
}

# The project: data on a folder remote, a pipeline whose metrics follow the data.
new_repo project
mkdir data && data data/train.csv 1 0
mlops add -q data/train.csv
mlops remote add -q --default store "$E2E_TMP/store"
cat > stats.sh <<'SH'
mkdir -p metrics
awk -F, 'NR > 1 { s += $1; n++ } END { printf "{\"mean_x\": %.4f, \"rows\": %d}\n", s / n, n }' data/train.csv > metrics/stats.json
SH
cat > mlops.yaml <<'YAML'
stages:
  stats:
    cmd: sh stats.sh
    deps: [stats.sh, data/train.csv]
    metrics: [metrics/stats.json]
YAML
# version MSG: re-add the data, run the pipeline, push the data, commit.
version() {
    mlops add -q data/train.csv
    mlops run -q
    mlops push -q
    git add -A
    git commit -qm "$1"
}
version v1
data data/train.csv 2 0 # a fresh sample of the same distribution: no drift
version "v2: more of the same"

# run_github: every `run:` block but the install step's, each in its own `bash -eo pipefail`
# (as GitHub runs them), with the workflow's env where it makes sense here.
run_github() {
    python3 - "$CI_DIR/github-actions.yml" > "$E2E_TMP/gh-steps" <<'PY'
import json, sys, yaml
wf = yaml.safe_load(open(sys.argv[1]))
steps = wf["jobs"]["mlops"]["steps"]
runs = [s["run"] for s in steps if "run" in s and s.get("id") != "install"]
assert len(runs) == 4, runs
assert any(s.get("id") == "install" and "mlops_install" in s["run"] for s in steps)
print(json.dumps(runs))
PY
    local n i rc=0
    n=$(jq length "$E2E_TMP/gh-steps")
    for ((i = 0; i < n; i++)); do
        jq -r ".[$i]" "$E2E_TMP/gh-steps" > "$E2E_TMP/step.sh"
        MLOPS_SRC="$MLOPS_SOURCE_DIR" MLOPS_BASE_REV=HEAD~1 MLOPS_DRIFT_DATA=data/train.csv MLOPS_PR_NUMBER=7 \
            GITHUB_STEP_SUMMARY="$E2E_TMP/summary.md" bash --noprofile --norc -eo pipefail "$E2E_TMP/step.sh" || return $?
    done
}

# Fake gh and curl: they record their arguments and the body they would post.
mkdir "$E2E_TMP/fakebin"
cat > "$E2E_TMP/fakebin/gh" <<EOF2
#!/bin/sh
echo "gh \$*" >> "$E2E_TMP/posted.log"
while [ \$# -gt 0 ]; do [ "\$1" = --body-file ] && cp "\$2" "$E2E_TMP/gh-body.md"; shift; done
EOF2
cat > "$E2E_TMP/fakebin/curl" <<EOF2
#!/bin/sh
echo "curl \$*" >> "$E2E_TMP/posted.log"
for a in "\$@"; do case "\$a" in body@*) cp "\${a#body@}" "$E2E_TMP/curl-body.md" ;; esac; done
EOF2
chmod +x "$E2E_TMP/fakebin/gh" "$E2E_TMP/fakebin/curl"
export PATH="$E2E_TMP/fakebin:$PATH"

# CI's checkout: a fresh clone, no data.
cd "$E2E_TMP" && git clone -q project ci-github && cd ci-github
[ ! -e data/train.csv ] || fail "the clone has data before the pull"
run_github > "$E2E_TMP/gh.out" 2>&1 || fail "the GitHub steps failed: $(tail -20 "$E2E_TMP/gh.out")"
cmp data/train.csv "$E2E_TMP/project/data/train.csv" || fail "the pull step did not bring the data"
grep -q '^#### Metrics: `HEAD~1` → `workspace`$' mlops-report.md || fail "no metrics section: $(cat mlops-report.md)"
grep -q '^| metrics/stats.json | mean_x |' mlops-report.md || fail "no metrics table: $(cat mlops-report.md)"
grep -qi 'drift' mlops-report.md || fail "no drift section: $(cat mlops-report.md)"
cmp mlops-report.md "$E2E_TMP/summary.md" || fail "the job summary is not the report"
grep -q "^gh pr comment 7 --body-file mlops-report.md" "$E2E_TMP/posted.log" || fail "no PR comment: $(cat "$E2E_TMP/posted.log")"
cmp mlops-report.md "$E2E_TMP/gh-body.md" || fail "the comment is not the report"
ok "GitHub Actions steps: pull, run, report (summary and PR comment), gates pass on undrifted data"

# Drifted data: the report is still written and posted, and the gate step fails.
cd "$E2E_TMP/project"
data data/train.csv 3 1.5
version "v3: shifted"
cd "$E2E_TMP" && git clone -q project ci-gitlab && cd ci-gitlab
python3 - "$CI_DIR/gitlab-ci.yml" > "$E2E_TMP/gl-script.sh" <<'PY'
import sys, yaml
job = yaml.safe_load(open(sys.argv[1]))["mlops"]
assert any("mlops_install" in line for line in job["before_script"])
print("\n".join(job["script"]))
PY
rm -f "$E2E_TMP/posted.log"
rc=0
MLOPS_SRC="$MLOPS_SOURCE_DIR" MLOPS_DRIFT_DATA=data/train.csv CI_MERGE_REQUEST_IID=3 MLOPS_GITLAB_TOKEN=secret \
    CI_API_V4_URL=https://gitlab.invalid/api/v4 CI_PROJECT_ID=42 \
    bash --noprofile --norc -eo pipefail "$E2E_TMP/gl-script.sh" > "$E2E_TMP/gl.out" 2>&1 || rc=$?
assert_eq "$rc" 1 "the GitLab job's exit status on drifted data ($(tail -5 "$E2E_TMP/gl.out"))"
grep -q "gate failed: data/train.csv drifted from HEAD~1" "$E2E_TMP/gl.out" || fail "no gate message: $(tail -5 "$E2E_TMP/gl.out")"
grep -q "^curl .*--header PRIVATE-TOKEN: secret .*https://gitlab.invalid/api/v4/projects/42/merge_requests/3/notes" "$E2E_TMP/posted.log" ||
    fail "no merge request note: $(cat "$E2E_TMP/posted.log")"
cmp mlops-report.md "$E2E_TMP/curl-body.md" || fail "the note is not the report"
grep -q '▲\|▼' mlops-report.md || fail "no arrows in the metrics diff: $(cat mlops-report.md)"
grep -qi 'drift' mlops-report.md || fail "no drift section"
ok "GitLab CI script: the report is posted as a merge request note, and the drift gate fails the job"
finish
