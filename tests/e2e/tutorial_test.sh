#!/usr/bin/env bash
# docs/tutorial.md never goes stale: every ```bash block of it is run, in order, in a fresh folder,
# as one script under `set -euo pipefail`; the test fails at the first command that fails and names
# the block. Then a few checks that the steps did what the tutorial says.
source "$(dirname "$0")/lib.sh"
require_torch
command -v curl >/dev/null || fail "curl is needed (apt-get install curl)"
TUTORIAL="$MLOPS_SOURCE_DIR/docs/tutorial.md"

# The blocks, each followed by a marker line so a failure names its block.
python3 - "$TUTORIAL" > "$E2E_TMP/tutorial.sh" <<'PY'
import re, shlex, sys
text = open(sys.argv[1]).read()
blocks = re.findall(r"^```bash\n(.*?)^```$", text, flags=re.S | re.M)
assert len(blocks) >= 8, f"only {len(blocks)} bash blocks in the tutorial"
print("set -euo pipefail")
for i, b in enumerate(blocks, 1):
    first = b.strip().splitlines()[0]
    print("echo " + shlex.quote(f"### block {i}: {first}") + " >&2")
    print(b)
print("echo '### all blocks ran' >&2")
PY
mkdir "$E2E_TMP/tut"
cd "$E2E_TMP/tut"
export EXAMPLES="$MLOPS_SOURCE_DIR/examples"
# Its own process group, so a server it started is stopped even when a later block fails.
setsid bash "$E2E_TMP/tutorial.sh" > "$E2E_TMP/tutorial.out" 2> "$E2E_TMP/tutorial.err" &
tpid=$!
rc=0
wait "$tpid" || rc=$?
kill -- -"$tpid" 2>/dev/null || true
if [ "$rc" != 0 ]; then
    echo "--- stdout:"; tail -n 30 "$E2E_TMP/tutorial.out"; echo "--- stderr:"; tail -n 30 "$E2E_TMP/tutorial.err"
    fail "the tutorial stopped (exit $rc) in $(grep '^### block' "$E2E_TMP/tutorial.err" | tail -n 1)"
fi
grep -q '^### all blocks ran' "$E2E_TMP/tutorial.err" || fail "not every block ran"
ok "every bash block of docs/tutorial.md runs ($(grep -c '^### block' "$E2E_TMP/tutorial.err") blocks)"

cd cancer
mlops status --exit-code > /dev/null || fail "status is not clean at the end of the tutorial: $(mlops status)"
assert_eq "$(mlops model show cancer@production --json | json_get 'j["version"]')" 1 "production holds version 1"
assert_eq "$(json_get 'len(j["predictions"])' < answer.json)" 40 "40 predictions over HTTP"
assert_eq "$(wc -l < predictions.log | tr -d ' ')" 1 "one request in the prediction log"
[ -s drift.html ] || fail "no drift report"
ok "the tutorial's model is promoted, served, logged and monitored"
finish
