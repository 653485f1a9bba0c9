#!/usr/bin/env bash
# The project's .pre-commit-hooks.yaml under the real pre-commit framework: a temporary project
# uses it through a `repo:` that is a git copy of this file (no network: PRE_COMMIT_HOME is local
# and the hooks are language: system), and real `git commit`s pass or are stopped.
source "$(dirname "$0")/lib.sh"
: "${MLOPS_SOURCE_DIR:?set MLOPS_SOURCE_DIR to the project root (ctest does)}"
export PATH="$(cd "$(dirname "$MLOPS")" && pwd):$PATH"
if ! command -v pre-commit > /dev/null; then
    [ "${CI:-}" = true ] && fail "pre-commit is not installed (scripts/install-deps.sh installs it)"
    echo "SKIP: pre-commit is not installed"
    finish
    exit 0
fi
export PRE_COMMIT_HOME="$E2E_TMP/pre-commit-home"

# The hook repository: the real .pre-commit-hooks.yaml, committed in a git repository of its own.
mkdir "$E2E_TMP/hookrepo" && cd "$E2E_TMP/hookrepo" && git init -q -b main
cp "$MLOPS_SOURCE_DIR/.pre-commit-hooks.yaml" .
git add .pre-commit-hooks.yaml && git commit -qm hooks
rev=$(git rev-parse HEAD)

new_repo project
mkdir data && printf 'a\n1\n2\n' > data/train.csv
mlops add -q data
cat > mlops.yaml <<'YAML'
stages:
  count:
    cmd: wc -l < data/train.csv > count.txt
    deps: [data]
    outs: [count.txt]
YAML
mlops run -q
cat > .pre-commit-config.yaml <<YAML
repos:
  - repo: $E2E_TMP/hookrepo
    rev: $rev
    hooks:
      - id: mlops-status
      - id: mlops-pointers
      - id: mlops-pipeline
YAML
git add -A
pre-commit install > /dev/null
git commit -qm "first" > "$E2E_TMP/out.txt" 2>&1 || fail "a clean commit was stopped: $(cat "$E2E_TMP/out.txt")"
grep -q "mlops tracked data re-added.*Passed" "$E2E_TMP/out.txt" || fail "mlops-status did not run: $(cat "$E2E_TMP/out.txt")"
grep -q "mlops pointer files valid.*Passed" "$E2E_TMP/out.txt" || fail "mlops-pointers did not run on data.mlops: $(cat "$E2E_TMP/out.txt")"
grep -q "mlops pipeline up to date.*Passed" "$E2E_TMP/out.txt" || fail "mlops-pipeline did not run: $(cat "$E2E_TMP/out.txt")"
ok "a clean commit passes the three hooks"

# Data changed and not re-added: mlops-status stops the commit (and so does the stale pipeline).
printf '3\n' >> data/train.csv
echo note > notes.txt && git add notes.txt
rc=0; git commit -qm "dirty" > "$E2E_TMP/out.txt" 2>&1 || rc=$?
[ "$rc" != 0 ] || fail "a commit with data not re-added passed"
grep -q "mlops tracked data re-added.*Failed" "$E2E_TMP/out.txt" || fail "mlops-status did not fail: $(cat "$E2E_TMP/out.txt")"
grep -q '^mlops: data: modified since `mlops add`.*(fix: `mlops add data`' "$E2E_TMP/out.txt" || fail "message: $(cat "$E2E_TMP/out.txt")"
grep -q "mlops pipeline up to date.*Failed" "$E2E_TMP/out.txt" || fail "mlops-pipeline did not fail: $(cat "$E2E_TMP/out.txt")"
grep -q "^mlops: mlops.lock: stage 'count' is out of date.*(fix: \`mlops run count\`, then \`git add mlops.lock\`)" "$E2E_TMP/out.txt" || fail "message: $(cat "$E2E_TMP/out.txt")"
ok "data not re-added and a stale pipeline stop the commit, with readable messages"

# Fixed: re-added, pipeline run, staged: the commit goes through.
mlops add -q data && mlops run -q && git add -A
git commit -qm "fixed" > "$E2E_TMP/out.txt" 2>&1 || fail "the fixed commit was stopped: $(cat "$E2E_TMP/out.txt")"
ok "after mlops add and mlops run the commit passes"

# A pointer file naming an object that is not in the store: mlops-pointers stops it.
printf 'version: 1\nkind: file\noid: %064d\nsize: 3\nfiles: 1\n' 9 > ghost.mlops
git add ghost.mlops
rc=0; git commit -qm "ghost" > "$E2E_TMP/out.txt" 2>&1 || rc=$?
[ "$rc" != 0 ] || fail "a pointer naming a missing object was committed"
grep -q "mlops pointer files valid.*Failed" "$E2E_TMP/out.txt" || fail "mlops-pointers did not fail: $(cat "$E2E_TMP/out.txt")"
grep -q '^mlops: ghost.mlops: names the file object 000000000000, which is not in the store' "$E2E_TMP/out.txt" || fail "message: $(cat "$E2E_TMP/out.txt")"
# A broken pipeline file: mlops-pipeline names the file, line and column.
git rm -q --cached ghost.mlops && rm ghost.mlops
printf 'stages:\n  count:\n    cmd: [unclosed\n' > mlops.yaml && git add mlops.yaml
rc=0; git commit -qm "broken" > "$E2E_TMP/out.txt" 2>&1 || rc=$?
[ "$rc" != 0 ] || fail "a broken pipeline file was committed"
grep -q '^mlops: mlops.yaml: mlops.yaml:[0-9]*:[0-9]*' "$E2E_TMP/out.txt" || fail "message: $(cat "$E2E_TMP/out.txt")"
ok "broken pointer files and pipeline files stop the commit"
finish
