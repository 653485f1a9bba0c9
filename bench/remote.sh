#!/usr/bin/env bash
# Remote benchmark (issue 3): push, then pull into a fresh clone, of 10,000 files of 1-64 KiB plus
# one 512 MiB file, side by side with the peers, in one run:
#   1. local-folder remote: `mlops push` and `mlops pull` vs `cp -r` (+ sync) of the same files;
#   2. S3 on s3rver (npm, loopback): `mlops push`/`pull` vs a small Node script using
#      @aws-sdk/client-s3 (bench/s3_client.js) at the same concurrency, multipart above 64 MiB too;
#   3. a second push with nothing new (target: under 1 s for the 10,001 objects).
# and replaces the section between <!-- bench:remote:start --> and <!-- bench:remote:end --> in
# docs/benchmarks.md. Benchmarks only record: nothing here fails on a missed target.
#
# Environment:
#   BENCH_SCALE  full (default: 10,000 files + 512 MiB) or small (1,000 files + 64 MiB)
#   BENCH_JOBS   concurrency for both mlops (-j) and the Node client (default 8)
#   BENCH_ROUNDS rounds of the local pull and its peer, interleaved; medians (default 3)
#   BENCH_WORK   scratch folder (default bench/work/remote-SCALE, gitignored); the dataset and the
#                origin repository are kept and reused
#   BENCH_DOC    Markdown file to update (default docs/benchmarks.md); BENCH_DOC=none skips it
#   MLOPS        mlops binary (default: build-remote/, else build/ through scripts/build.sh)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SCALE=${BENCH_SCALE:-full}
case "$SCALE" in
full) FILES=10000 BIG_MIB=512 ;;
small) FILES=1000 BIG_MIB=64 ;;
*)
    echo "remote.sh: BENCH_SCALE must be full or small, not '$SCALE'" >&2
    exit 2
    ;;
esac
JOBS=${BENCH_JOBS:-8}
ROUNDS=${BENCH_ROUNDS:-3}
WORK=${BENCH_WORK:-$ROOT/bench/work/remote-$SCALE}
DOC=${BENCH_DOC:-$ROOT/docs/benchmarks.md}
export MLOPS_PROGRESS=0 NODE_NO_WARNINGS=1 AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com

say() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

if [ -z "${MLOPS:-}" ]; then
    if [ -x "$ROOT/build-remote/apps/mlops/mlops" ]; then
        MLOPS="$ROOT/build-remote/apps/mlops/mlops"
    else
        bash "$ROOT/scripts/build.sh" >&2
        MLOPS="$ROOT/build/apps/mlops/mlops"
    fi
fi
command -v node >/dev/null || { echo "remote.sh: node is needed (scripts/install-deps.sh)" >&2; exit 2; }
NPM_DIR="$ROOT/build-npm"
bash "$ROOT/tests/e2e/s3/install.sh" "$NPM_DIR"
export NODE_PATH="$NPM_DIR/node_modules"

# Seconds (3 decimals) that "$@" takes.
elapsed() {
    local start end
    sync # earlier steps' dirty pages are not this step's cost
    start=$(date +%s.%N)
    "$@" >/dev/null || { echo "remote.sh: failed: $*" >&2; exit 1; }
    end=$(date +%s.%N)
    echo "$end - $start" | bc -l | xargs printf '%.3f'
}
median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { printf "%.3f", NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
rate() { echo "$1 / 1048576 / $2" | bc -l | xargs printf '%.0f'; } # MiB/s
ratio() { echo "$1 / $2" | bc -l | xargs printf '%.2f'; }

# ---------------------------------------------------------------- dataset and origin repository
ORIGIN="$WORK/origin"
if [ ! -f "$ORIGIN/.bench-ready" ]; then
    say "creating $FILES files of 1-64 KiB and one $BIG_MIB MiB file in $ORIGIN"
    rm -rf "$ORIGIN"
    mkdir -p "$ORIGIN"
    git -C "$ORIGIN" init -q -b main
    (cd "$ORIGIN" && "$MLOPS" init -q)
    python3 - "$ORIGIN/data" "$FILES" "$BIG_MIB" <<'PY'
import os, random, sys
root, files, big = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(20240503)
for i in range(files):
    d = os.path.join(root, "shard%03d" % (i % 100))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "f%05d.bin" % i), "wb") as f:
        f.write(rng.randbytes(rng.randint(1024, 64 * 1024)))
with open(os.path.join(root, "big.bin"), "wb") as f:
    for _ in range(big):
        f.write(rng.randbytes(1 << 20))
PY
    (cd "$ORIGIN" && "$MLOPS" add -q data && git add -A && git commit -qm data)
    touch "$ORIGIN/.bench-ready"
fi
BYTES=$(du -sb "$ORIGIN/data" | cut -f1)
NOBJ=$((FILES + 2))

# Folders of earlier steps are moved aside, not deleted, until the end: ext4 without a journal (this
# machine's) skips inodes freed in the last 60 s when it allocates new ones, so a step that creates
# 10,000 files right after another step's 10,000 were deleted pays for that deletion.
RUN="$WORK/run"
TRASH="$WORK/trash"
if [ -e "$RUN" ] || [ -e "$TRASH" ]; then
    rm -rf "$RUN" "$TRASH"
    sync
    say "waiting 61 s: the files of an earlier run were just deleted"
    sleep 61
fi
mkdir -p "$RUN"
discard() {
    mkdir -p "$TRASH"
    local d
    for d in "$@"; do mv "$d" "$TRASH/$(date +%s%N)"; done
}
cleanup() {
    [ -n "${S3_PID:-}" ] && kill "$S3_PID" 2>/dev/null && wait "$S3_PID" 2>/dev/null
    rm -rf "$RUN" "$TRASH"
}
trap cleanup EXIT
cd "$ORIGIN"
rm -f .mlops/tmp/known-* # what an earlier run's (now gone) servers held
for r in $("$MLOPS" remote list --json | python3 -c 'import json,sys; print(" ".join(r["name"] for r in json.load(sys.stdin)["remotes"]))'); do
    "$MLOPS" remote remove -q "$r"
done

# ---------------------------------------------------------------- local folder
# push and its peer (cp -r + sync of the data) in interleaved rounds too, each push into a fresh
# folder (a folder remote keeps no record of what it holds: every round sends everything).
"$MLOPS" remote add -q local "$RUN/local-remote"
CPS=() LPUSHES=()
for ((R = 1; R <= ROUNDS; R++)); do
    say "local folder, round $R/$ROUNDS: cp -r + sync of the data, then mlops push into an empty folder"
    CPS+=("$(elapsed sh -c "cp -r '$ORIGIN/data' '$RUN/cp-copy' && sync")")
    discard "$RUN/cp-copy"
    [ -d "$RUN/local-remote" ] && discard "$RUN/local-remote"
    LPUSHES+=("$(elapsed "$MLOPS" push -r local -j "$JOBS")")
done
T_CP=$(median "${CPS[@]}")
T_LPUSH=$(median "${LPUSHES[@]}")
say "local folder: second mlops push"
T_LPUSH2=$(elapsed "$MLOPS" push -r local -j "$JOBS")
git add -A && { git commit -qm "local remote" || true; }
git clone -q "$ORIGIN" "$RUN/clone-local"
say "local folder: mlops fetch, then mlops checkout, into a fresh clone"
T_LFETCH=$(cd "$RUN/clone-local" && elapsed "$MLOPS" fetch -r local -j "$JOBS")
T_LCO=$(cd "$RUN/clone-local" && elapsed "$MLOPS" checkout)
T_LFC=$(echo "$T_LFETCH + $T_LCO" | bc -l | xargs printf '%.3f')
cmp "$ORIGIN/data/big.bin" "$RUN/clone-local/data/big.bin"
discard "$RUN/clone-local"
# pull is one process: its checkout does not hash again what its fetch has just verified. The
# target's pair (pull, and cp -r + sync of the remote) runs in interleaved rounds: the load of the
# shared machine changes within seconds, so medians of rounds, not one run of each.
CP2S=() PULLS=()
for ((R = 1; R <= ROUNDS; R++)); do
    say "local folder, round $R/$ROUNDS: cp -r + sync of the remote (the pull's peer), then mlops pull into a fresh clone"
    CP2S+=("$(elapsed sh -c "cp -r '$RUN/local-remote' '$RUN/cp-back' && sync")")
    git clone -q "$ORIGIN" "$RUN/clone-pull"
    PULLS+=("$(cd "$RUN/clone-pull" && elapsed "$MLOPS" pull -r local -j "$JOBS")")
    diff -r "$ORIGIN/data" "$RUN/clone-pull/data" >/dev/null || { echo "remote.sh: pulled data differs" >&2; exit 1; }
    discard "$RUN/clone-pull" "$RUN/cp-back"
done
T_CP2=$(median "${CP2S[@]}")
T_LPULL=$(median "${PULLS[@]}")
discard "$RUN/local-remote"

# ---------------------------------------------------------------- S3 on s3rver
mkdir -p "$RUN/s3data"
node "$ROOT/tests/e2e/s3/server.js" "$RUN/s3data" bench >"$RUN/s3rver.out" 2>&1 &
S3_PID=$!
for _ in $(seq 1 100); do
    grep -q '^PORT ' "$RUN/s3rver.out" && break
    sleep 0.1
done
ENDPOINT="http://127.0.0.1:$(sed -n 's/^PORT //p' "$RUN/s3rver.out")"
"$MLOPS" remote add -q s3 s3://bench/mlops
"$MLOPS" remote modify s3 endpoint "$ENDPOINT"
say "s3rver: node @aws-sdk/client-s3 upload"
T_NUP=$(elapsed node "$ROOT/bench/s3_client.js" upload "$ENDPOINT" bench node "$ORIGIN/data" "$JOBS")
say "s3rver: mlops push"
T_SPUSH=$(elapsed "$MLOPS" push -r s3 -j "$JOBS")
say "s3rver: second mlops push"
T_SPUSH2=$(elapsed "$MLOPS" push -r s3 -j "$JOBS")
git add -A && { git commit -qm "s3 remote" || true; }
git clone -q "$ORIGIN" "$RUN/clone-s3"
say "s3rver: node @aws-sdk/client-s3 download"
T_NDOWN=$(elapsed node "$ROOT/bench/s3_client.js" download "$ENDPOINT" bench node "$RUN/node-down" "$JOBS")
say "s3rver: mlops fetch, then mlops checkout, into a fresh clone"
T_SFETCH=$(cd "$RUN/clone-s3" && elapsed "$MLOPS" fetch -r s3 -j "$JOBS")
T_SCO=$(cd "$RUN/clone-s3" && elapsed "$MLOPS" checkout)
T_SFC=$(echo "$T_SFETCH + $T_SCO" | bc -l | xargs printf '%.3f')
git clone -q "$ORIGIN" "$RUN/clone-s3-pull"
say "s3rver: mlops pull into a fresh clone"
T_SPULL=$(cd "$RUN/clone-s3-pull" && elapsed "$MLOPS" pull -r s3 -j "$JOBS")
say "s3rver: second mlops push, asking the remote about every object (--recheck)"
T_SPUSH3=$(elapsed "$MLOPS" push -r s3 -j "$JOBS" --recheck)
cmp "$ORIGIN/data/big.bin" "$RUN/clone-s3/data/big.bin"
cmp "$ORIGIN/data/big.bin" "$RUN/clone-s3-pull/data/big.bin"
cd "$ORIGIN"
"$MLOPS" remote remove -q s3
"$MLOPS" remote remove -q local
git add -A && git commit -qm "remotes removed" >/dev/null || true

# ---------------------------------------------------------------- report
MIB=$(echo "$BYTES / 1048576" | bc)
COMMIT=$(git -C "$ROOT" rev-parse --short HEAD)
REPORT=$(cat <<MD
Measured $(date -u +%Y-%m-%d) on $(nproc) cores, mlops at $COMMIT ($(basename "$(dirname "$(dirname "$(dirname "$MLOPS")")")")),
\`BENCH_SCALE=$SCALE\`: $FILES files of 1–64 KiB + one $BIG_MIB MiB file = $NOBJ objects
(with the tree), $MIB MiB; concurrency $JOBS for mlops (\`-j\`) and the Node client. Warm page
cache; one run each. Fetch verifies every object's SHA-256 and syncs the store; checkout (the core
feature, \`mlops checkout\`) then writes the work tree. \`mlops pull\` does both in one process, into
another fresh clone, and its checkout copies the objects its fetch has just verified without hashing
them again. The peers neither verify nor check out.

| what | mlops | peer | peer time | mlops / peer throughput |
|---|---|---|---|---|
| push to a local folder, median of $ROUNDS rounds | ${T_LPUSH} s ($(rate "$BYTES" "$T_LPUSH") MiB/s) | \`cp -r\` + \`sync\`, median | ${T_CP} s ($(rate "$BYTES" "$T_CP") MiB/s) | $(ratio "$T_CP" "$T_LPUSH")× |
| fetch from a local folder (fresh clone) | ${T_LFETCH} s ($(rate "$BYTES" "$T_LFETCH") MiB/s) | \`cp -r\` + \`sync\` of the remote | ${T_CP2} s ($(rate "$BYTES" "$T_CP2") MiB/s) | $(ratio "$T_CP2" "$T_LFETCH")× |
| fetch, then checkout (${T_LCO} s): two commands, local folder | ${T_LFC} s ($(rate "$BYTES" "$T_LFC") MiB/s) | \`cp -r\` + \`sync\` of the remote | ${T_CP2} s | $(ratio "$T_CP2" "$T_LFC")× |
| **pull**, local folder (fresh clone), median of $ROUNDS rounds | ${T_LPULL} s ($(rate "$BYTES" "$T_LPULL") MiB/s) | \`cp -r\` + \`sync\` of the remote, median | ${T_CP2} s | $(ratio "$T_CP2" "$T_LPULL")× |
| push to S3 (s3rver) | ${T_SPUSH} s ($(rate "$BYTES" "$T_SPUSH") MiB/s) | Node \`@aws-sdk/client-s3\` upload | ${T_NUP} s ($(rate "$BYTES" "$T_NUP") MiB/s) | $(ratio "$T_NUP" "$T_SPUSH")× |
| fetch from S3 (s3rver, fresh clone) | ${T_SFETCH} s ($(rate "$BYTES" "$T_SFETCH") MiB/s) | Node \`@aws-sdk/client-s3\` download | ${T_NDOWN} s ($(rate "$BYTES" "$T_NDOWN") MiB/s) | $(ratio "$T_NDOWN" "$T_SFETCH")× |
| fetch, then checkout (${T_SCO} s): two commands, S3 | ${T_SFC} s ($(rate "$BYTES" "$T_SFC") MiB/s) | Node \`@aws-sdk/client-s3\` download | ${T_NDOWN} s | $(ratio "$T_NDOWN" "$T_SFC")× |
| **pull**, S3 (fresh clone) | ${T_SPULL} s ($(rate "$BYTES" "$T_SPULL") MiB/s) | Node \`@aws-sdk/client-s3\` download | ${T_NDOWN} s | $(ratio "$T_NDOWN" "$T_SPULL")× |
| second push, nothing new: local folder (asks for every object) | ${T_LPUSH2} s | target | < 1 s | |
| second push, nothing new: S3 (record of what the remote has) | ${T_SPUSH2} s | target | < 1 s | |
| second push, nothing new: S3, \`--recheck\` (lists the remote) | ${T_SPUSH3} s | target | < 1 s | |

Local push rounds (push / \`cp -r\` + \`sync\`, seconds): $(for ((i = 0; i < ROUNDS; i++)); do printf '%s / %s; ' "${LPUSHES[$i]}" "${CPS[$i]}"; done)
Local pull rounds (pull / \`cp -r\` + \`sync\`, seconds): $(for ((i = 0; i < ROUNDS; i++)); do printf '%s / %s; ' "${PULLS[$i]}" "${CP2S[$i]}"; done)
the other rows are one run each, and the fetch row's peer is the same median.

Targets (issue 3): local folder ≥ 0.8× \`cp -r\`; S3 no slower than the SDK script; a second push
under 1 s. Reproduce with \`bash bench/remote.sh\` (\`BENCH_SCALE=small\` for a quick run).
MD
)
echo "$REPORT"
if [ "$DOC" != none ]; then
    python3 - "$DOC" "$REPORT" <<'PY'
import os, sys
doc, report = sys.argv[1], sys.argv[2]
start, end = "<!-- bench:remote:start -->", "<!-- bench:remote:end -->"
section = f"{start}\n## Remotes: push and pull (bench/remote.sh)\n\n{report}\n{end}"
text = open(doc).read() if os.path.exists(doc) else "# Benchmarks\n"
if start in text and end in text:
    text = text[: text.index(start)] + section + text[text.index(end) + len(end):]
else:
    text = text.rstrip("\n") + "\n\n" + section + "\n"
tmp = doc + ".tmp-remote"
open(tmp, "w").write(text)
os.replace(tmp, doc)
PY
    say "updated $DOC"
fi
