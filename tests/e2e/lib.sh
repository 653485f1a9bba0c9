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
        # A here-string, not a pipe: with pipefail, grep -q quitting early would fail the writer.
        grep -Eq -- "$pattern" <<<"$err"$'\n'"$out" || fail "$*: output does not match /$pattern/: $err $out"
    fi
    if [ "$want" != 0 ] && [ "$want" != 1 ]; then
        [ "$(printf '%s\n' "$err" | grep -c '^mlops: error:')" = 1 ] || fail "$*: expected exactly one 'mlops: error:' line, got: $err"
        grep -qiE 'terminate called|what\(\)|stack|Segmentation|Aborted' <<<"$err" && fail "$*: crashed: $err"
    fi
    return 0
}

# Finishes the test with the plain summary line ctest and CI read.
finish() {
    echo "$E2E_PASSED passed, $E2E_FAILED failed"
}

# --- Helpers for the per-area tests -------------------------------------------------------------

# run CMD...: runs CMD without stopping the test; sets RC, OUT (stdout) and ERR (stderr).
run() {
    RC=0
    OUT=$("$@" 2>"$E2E_TMP/stderr") || RC=$?
    ERR=$(cat "$E2E_TMP/stderr")
}

# json_get EXPR: reads a JSON document on stdin and prints the Python expression EXPR evaluated with
# `j` bound to it (strings as they are, everything else as compact JSON: true, null, [..]).
json_get() {
    python3 -c 'import json, sys
j = json.load(sys.stdin)
r = eval(sys.argv[1])
print(r if isinstance(r, str) else json.dumps(r, sort_keys=True))' "$1"
}

# assert_eq GOT WANT WHAT
assert_eq() {
    [ "$1" = "$2" ] || fail "$3: got '$1', expected '$2'"
}

# check_golden NAME CMD...: the stdout of CMD (a --json document), with the current folder replaced
# by ROOT and then passed through the command named by $GOLDEN_FILTER (default: cat), must equal
# tests/e2e/golden/NAME.json byte for byte. With MLOPS_UPDATE_GOLDEN=1 the file is rewritten first.
GOLDEN_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/golden"
check_golden() {
    local name=$1
    shift
    local got
    got=$("$@" | sed "s|$PWD|ROOT|g" | ${GOLDEN_FILTER:-cat})
    if [ "${MLOPS_UPDATE_GOLDEN:-}" = 1 ]; then
        printf '%s\n' "$got" > "$GOLDEN_DIR/$name.json"
    fi
    diff -u "$GOLDEN_DIR/$name.json" <(printf '%s\n' "$got") || fail "$name: --json output differs from golden/$name.json"
    ok "$name"
}

# require_torch: ends the test (as a skip) when mlops was built without LibTorch; puts the mlops
# binary on PATH for pipeline stages that run it.
require_torch() {
    export PATH="$(cd "$(dirname "$MLOPS")" && pwd):$PATH"
    if mlops train /dev/null 2>&1 | grep -q "built without LibTorch"; then
        echo "SKIP: mlops was built without LibTorch"
        finish
        exit 0
    fi
}

# write_spec FILE TRAIN_CSV TEST_CSV EPOCHS: a small MLP classification spec on the breast cancer data.
write_spec() {
    cat > "$1" <<YAML
task: classification
data:
  train: $2
  test: $3
  target: target
model:
  type: mlp
  hidden: [8]
train:
  epochs: $4
  batch_size: 32
  lr: 0.01
YAML
}

# oid_of POINTER_FILE: the oid a pointer file names.
oid_of() { sed -n 's/^oid: //p' "$1"; }
# object_path OID: where the object lives, relative to the repository root.
object_path() { echo ".mlops/objects/${1:0:2}/${1:2}"; }
# count_objects: objects in the store of the repository in the current folder.
count_objects() { find .mlops/objects -mindepth 2 -type f | wc -l | tr -d ' '; }
# sha256 FILE
sha256() { sha256sum "$1" | cut -d' ' -f1; }

# commit MSG: commits everything in the test repository.
commit() {
    git add -A
    git commit -qm "$1"
}

# repo_state: a fingerprint of the work tree and the metadata a failed command must leave alone
# (every file but the index, its lock and temporary files; plus git's view).
repo_state() {
    find . -path ./.git -prune -o -path ./.mlops/tmp -prune -o \( -type f -o -type l \) -print |
        grep -v -e '^\./\.mlops/index\.db' -e '^\./\.mlops/lock$' | LC_ALL=C sort |
        while IFS= read -r f; do
            if [ -L "$f" ]; then echo "$f -> $(readlink "$f")"; else echo "$f $(sha256 "$f")"; fi
        done
    git status --porcelain 2>/dev/null || true
}

# expect_rejected CODE PATTERN -- CMD...: like expect_code, and CMD must change nothing (no pointer
# file, no .gitignore line, no object).
expect_rejected() {
    local before after
    before=$(repo_state)
    expect_code "$@"
    after=$(repo_state)
    [ "$before" = "$after" ] || fail "${*:4}: changed the repository: $(diff <(echo "$before") <(echo "$after") || true)"
}

# render_in_chromium HTML: headless Chromium renders the page into dom.html (the DOM after load),
# failing the test on a crash or a console error. Returns 1 (the caller skips its checks) when
# Chromium is not installed, which CI (CI=true) does not allow.
render_in_chromium() {
    if ! command -v chromium > /dev/null; then
        [ "${CI:-}" = true ] && fail "chromium is not installed (scripts/install-deps.sh installs it)"
        echo "skip - chromium not installed"
        return 1
    fi
    chromium --headless --no-sandbox --disable-gpu --enable-logging=stderr --v=0 --dump-dom "file://$PWD/$1" \
        > dom.html 2> chromium.log || fail "chromium failed: $(tail -5 chromium.log)"
    grep -Ei 'CONSOLE|Uncaught|ERR_FILE|net::' chromium.log && fail "chromium console errors"
    return 0
}
