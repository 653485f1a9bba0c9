# s3rver for end-to-end tests: installs the npm packages the S3 tests use into a cache folder (once,
# under a lock, from the npm registry) and starts s3rver on a free loopback port. Source it after
# lib.sh. In CI a missing tool fails the test; elsewhere the test is skipped with the reason.

S3_NPM_DIR="${MLOPS_NPM_DIR:-${MLOPS_SOURCE_DIR:?set MLOPS_SOURCE_DIR}/build-npm}"
S3_SCRIPTS="$MLOPS_SOURCE_DIR/tests/e2e/s3"
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER NODE_NO_WARNINGS=1
unset AWS_SESSION_TOKEN AWS_PROFILE AWS_REGION AWS_DEFAULT_REGION AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3

skip_or_fail() {
    if [ -n "${CI:-}" ]; then fail "$* (CI must install it: scripts/install-deps.sh)"; fi
    echo "skipped: $*"
    finish
    exit 0
}

# Installs the npm packages once; concurrent tests wait for each other.
s3_setup() {
    command -v node >/dev/null || skip_or_fail "node is not installed"
    command -v npm >/dev/null || skip_or_fail "npm is not installed"
    bash "$S3_SCRIPTS/install.sh" "$S3_NPM_DIR" || skip_or_fail "npm install of the S3 test packages failed"
    export NODE_PATH="$S3_NPM_DIR/node_modules"
}

# s3_start DIR BUCKET...: sets S3_PORT, S3_PID and S3_ENDPOINT.
s3_start() {
    local dir=$1
    shift
    mkdir -p "$dir"
    local out="$E2E_TMP/s3rver.$RANDOM.out"
    : >"$out"
    node "$S3_SCRIPTS/server.js" "$dir" "$@" >"$out" 2>&1 &
    S3_PID=$!
    S3_PIDS="${S3_PIDS:-} $S3_PID"
    trap 's3_stop_all; cleanup' EXIT
    for _ in $(seq 1 100); do
        S3_PORT=$(sed -n 's/^PORT //p' "$out")
        [ -n "$S3_PORT" ] && break
        kill -0 "$S3_PID" 2>/dev/null || fail "s3rver did not start: $(cat "$out")"
        sleep 0.1
    done
    [ -n "$S3_PORT" ] || fail "s3rver did not report its port: $(cat "$out")"
    S3_ENDPOINT="http://127.0.0.1:$S3_PORT"
}

s3_stop() {
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

s3_stop_all() {
    for p in ${S3_PIDS:-}; do s3_stop "$p"; done
}
