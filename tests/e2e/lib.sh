# Shared helpers for end-to-end tests. Source it; then call the helpers. Every test runs in a fresh
# temporary folder (removed on exit) with its own HOME and git identity, so nothing leaks.
set -euo pipefail

: "${MLOPS:?set MLOPS to the mlops binary (ctest does)}"
E2E_TMP=$(mktemp -d /tmp/mlops-e2e-XXXXXX)
export HOME="$E2E_TMP/home"
mkdir -p "$HOME"
export GIT_AUTHOR_NAME="Test User" GIT_AUTHOR_EMAIL="test@example.com"
export GIT_COMMITTER_NAME="Test User" GIT_COMMITTER_EMAIL="test@example.com"
export MLOPS_PROGRESS=0 NO_COLOR=1
cleanup() {
    chmod -R u+w "$E2E_TMP" 2>/dev/null || true
    rm -rf "$E2E_TMP"
}
trap cleanup EXIT
E2E_PASSED=0
E2E_FAILED=0

mlops() { "$MLOPS" "$@"; }

# new_repo NAME: a git repository with `mlops init` done; cd into it.
new_repo() {
    local dir="$E2E_TMP/$1"
    mkdir -p "$dir"
    cd "$dir"
    git init -q -b main
    mlops init -q
}

fail() {
    echo "FAIL: $*" >&2
    E2E_FAILED=$((E2E_FAILED + 1))
    exit 1
}
ok() {
    E2E_PASSED=$((E2E_PASSED + 1))
    echo "ok - $*"
}

# expect_code CODE PATTERN -- CMD...: CMD must exit with CODE and print a line matching PATTERN
# (grep -E) on stderr (or stdout); with code != 0 the error must be a single "mlops: error:" line.
expect_code() {
    local want=$1 pattern=$2
    shift 3
    local out err rc=0
    out=$("$@" 2>"$E2E_TMP/stderr") || rc=$?
    err=$(cat "$E2E_TMP/stderr")
    [ "$rc" = "$want" ] || fail "$* exited $rc, expected $want; stderr: $err; stdout: $out"
    if [ -n "$pattern" ]; then
        printf '%s\n%s\n' "$err" "$out" | grep -Eq -- "$pattern" || fail "$*: output does not match /$pattern/: $err $out"
    fi
    if [ "$want" != 0 ] && [ "$want" != 1 ]; then
        [ "$(printf '%s\n' "$err" | grep -c '^mlops: error:')" = 1 ] || fail "$*: expected exactly one 'mlops: error:' line, got: $err"
        printf '%s' "$err" | grep -qiE 'terminate|what\(\)|stack|Segmentation|Aborted' && fail "$*: crashed: $err"
    fi
    return 0
}

# Finishes the test with the plain summary line ctest and CI read.
finish() {
    echo "$E2E_PASSED passed, $E2E_FAILED failed"
}
