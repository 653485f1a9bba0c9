# The shell steps of the CI examples (github-actions.yml, gitlab-ci.yml), as functions both files
# call, so that tests/e2e/ci_examples_test.sh runs exactly these commands locally. Source it from
# the mlops source tree the job builds from:
#     source "$MLOPS_SRC/examples/ci/steps.sh"
# Settings (CI variables; every one optional):
#     MLOPS_SRC            the mlops source tree (default: the folder two levels above this file)
#     MLOPS_BASE_REV       the revision the metrics and data are compared with (default: HEAD~1;
#                          a merge request's target branch is the usual choice)
#     MLOPS_DRIFT_DATA     a tracked CSV file whose drift from MLOPS_BASE_REV is reported and gated
#                          (e.g. data/train.csv; none: no drift section, no drift gate)
#     MLOPS_DRIFT_FLAGS    more `mlops drift` flags (e.g. "--threshold 0.1")
#     MLOPS_REMOTE_URL     an mlops remote to add as the default when the repository names none
#                          (S3 credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)
#     MLOPS_REPORT         where the Markdown report is written (default: mlops-report.md)
# Every function exits non-zero on failure (set -e in the job stops there); mlops_gates exits 1
# when a gate fails, after the report was written and posted.

MLOPS_SRC=${MLOPS_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}

# Installs the build dependencies (Debian or Ubuntu packages) and builds mlops from MLOPS_SRC;
# prints the folder holding the binary (add it to PATH).
mlops_install() {
    bash "$MLOPS_SRC/scripts/install-deps.sh" >&2
    cmake -S "$MLOPS_SRC" -B "$MLOPS_SRC/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMLOPS_BUILD_TESTS=OFF >&2
    cmake --build "$MLOPS_SRC/build" --parallel "$(nproc)" >&2
    echo "$MLOPS_SRC/build/apps/mlops"
}

# Makes sure there is a default remote, then fetches and checks out the data the commit names,
# and fetches MLOPS_DRIFT_DATA as it was at MLOPS_BASE_REV (the drift report's reference).
mlops_pull() {
    if [ -n "${MLOPS_REMOTE_URL:-}" ] && [ -z "$(mlops remote list)" ]; then
        mlops remote add --default ci "$MLOPS_REMOTE_URL"
    fi
    mlops pull
    [ -n "${MLOPS_DRIFT_DATA:-}" ] || return 0
    local base=${MLOPS_BASE_REV:-HEAD~1} tracked=$MLOPS_DRIFT_DATA rc=0
    # The tracked path: the data itself, or the tracked folder it is in.
    while [ ! -f "$tracked.mlops" ] && [ "$tracked" != . ]; do tracked=$(dirname "$tracked"); done
    git cat-file -e "$base:$tracked.mlops" 2> /dev/null || return 0 # new at this commit
    # `mlops fetch` reads the work tree's pointer files: show it the base's, then put HEAD's back.
    git show "$base:$tracked.mlops" > "$tracked.mlops"
    mlops fetch "$tracked" || rc=$?
    git checkout -q HEAD -- "$tracked.mlops"
    return $rc
}

# Brings the pipeline up to date (stages whose inputs did not change are skipped or restored from
# the run cache) and says which stages ran.
mlops_run_pipeline() {
    mlops run
    mlops status
}

# Writes the Markdown report: the metrics against MLOPS_BASE_REV, and the drift summary.
mlops_report() {
    local out=${MLOPS_REPORT:-mlops-report.md} base=${MLOPS_BASE_REV:-HEAD~1}
    {
        echo "### mlops: $(git rev-parse --short HEAD) against $base"
        echo
        mlops metrics diff "$base" --format md
        if [ -n "${MLOPS_DRIFT_DATA:-}" ]; then
            echo
            # shellcheck disable=SC2086 # the flags are words
            mlops drift "$MLOPS_DRIFT_DATA@$base" "$MLOPS_DRIFT_DATA" --format md ${MLOPS_DRIFT_FLAGS:-}
        fi
    } > "$out"
    echo "report written to $out" >&2
}

# Posts the report: on GitHub as the job summary and, for a pull request, as a comment (gh);
# on GitLab as a merge request note (needs a token with the api scope in MLOPS_GITLAB_TOKEN).
mlops_post_report() {
    local report=${MLOPS_REPORT:-mlops-report.md}
    if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
        cat "$report" >> "$GITHUB_STEP_SUMMARY"
        if [ -n "${MLOPS_PR_NUMBER:-}" ]; then
            gh pr comment "$MLOPS_PR_NUMBER" --body-file "$report"
        fi
    elif [ -n "${CI_MERGE_REQUEST_IID:-}" ] && [ -n "${MLOPS_GITLAB_TOKEN:-}" ]; then
        curl --fail --silent --show-error --request POST --header "PRIVATE-TOKEN: $MLOPS_GITLAB_TOKEN" \
            --data-urlencode "body@$report" \
            "$CI_API_V4_URL/projects/$CI_PROJECT_ID/merge_requests/$CI_MERGE_REQUEST_IID/notes" > /dev/null
    else
        cat "$report"
    fi
}

# The gates: every tracked path and stage is up to date (the pipeline's own gates, such as
# `mlops evaluate --min`, already failed `mlops run`), and the data did not drift.
mlops_gates() {
    local base=${MLOPS_BASE_REV:-HEAD~1} failed=0
    mlops status --exit-code > /dev/null || { echo "gate failed: tracked data or stages are not up to date (mlops status)" >&2; failed=1; }
    if [ -n "${MLOPS_DRIFT_DATA:-}" ]; then
        # shellcheck disable=SC2086
        mlops -q drift "$MLOPS_DRIFT_DATA@$base" "$MLOPS_DRIFT_DATA" --fail-on-drift ${MLOPS_DRIFT_FLAGS:-} ||
            { echo "gate failed: $MLOPS_DRIFT_DATA drifted from $base (see the report)" >&2; failed=1; }
    fi
    return $failed
}
