#!/usr/bin/env bash
# Hook latency (issue 11): what a user feels on every `git commit` once `mlops hooks install` ran.
# A repository with 10,000 files tracked by mlops (10 tracked folders of 1,000 small files, each a
# pointer file committed to git), the stat cache warm; `mlops hooks run pre-commit` (staged pointer
# files checked against the store, then `mlops status`'s scan) vs `git status` on the same
# repository, alternating, median of ROUNDS. Writes the section between <!-- bench:hooks:start -->
# and <!-- bench:hooks:end --> of docs/benchmarks.md. Benchmarks only record: nothing fails here.
#
# usage: bench/hooks.sh [ROUNDS]   (default 5)
# Environment: BENCH_FILES (default 10000), BENCH_DOC (default docs/benchmarks.md; none skips),
#              MLOPS (binary to measure; default: build Release into $BUILD, default build-bench)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
ROUNDS=${1:-5}
FILES=${BENCH_FILES:-10000}
DOC=${BENCH_DOC:-$root/docs/benchmarks.md}
source bench/lib.sh
bench_build mlops
export MLOPS_PROGRESS=0 GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com

work=$(mktemp -d /tmp/mlops-bench-hooks-XXXXXX)
trap 'chmod -R u+w "$work"; rm -rf "$work"' EXIT
cd "$work"
git init -q -b main
"$MLOPS" init -q
folders=10
per=$((FILES / folders))
python3 - "$folders" "$per" <<'PY'
import os, sys
folders, per = int(sys.argv[1]), int(sys.argv[2])
for f in range(folders):
    os.makedirs(f"data/part{f:02d}", exist_ok=True)
    for i in range(per):
        with open(f"data/part{f:02d}/file{i:05d}.csv", "w") as out:
            out.write(f"id,value\n{i},{f * per + i}\n")
PY
"$MLOPS" add -q data/part*
git add -A && git commit -qm data
sleep 1.1 # past the racy window: the stat cache is trusted from here on
"$MLOPS" status > /dev/null
git status > /dev/null
"$MLOPS" hooks run pre-commit || { echo "the hook refuses a clean repository" >&2; exit 1; }

ms() { # ms CMD...: wall milliseconds of one run
    local a b
    a=$(date +%s%N)
    "$@" > /dev/null
    b=$(date +%s%N)
    echo $(((b - a) / 1000)) | awk '{printf "%.1f", $1 / 1000}'
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
hook=() gst=() mst=()
for ((r = 0; r < ROUNDS; r++)); do
    hook+=("$(ms "$MLOPS" hooks run pre-commit)")
    gst+=("$(ms git status)")
    mst+=("$(ms "$MLOPS" status)")
done
t_hook=$(printf '%s\n' "${hook[@]}" | median)
t_git=$(printf '%s\n' "${gst[@]}" | median)
t_status=$(printf '%s\n' "${mst[@]}" | median)
ratio=$(awk -v a="$t_hook" -v b="$t_git" 'BEGIN {printf "%.1f", a / b}')
# One modified file: the hook hashes it again and refuses the commit.
echo "changed" >> data/part03/file00042.csv
t_dirty=$(ms sh -c '"$0" hooks run pre-commit 2>/dev/null; true' "$MLOPS")
echo "pre-commit hook ${t_hook} ms | git status ${t_git} ms | ${ratio}x | mlops status ${t_status} ms | one file modified: ${t_dirty} ms"

cd "$root"
commit=$(git rev-parse --short HEAD)
dirty=$(git status --porcelain -- libmlops apps | grep -q . && echo " (with uncommitted changes)" || true)
load=$(cut -d" " -f1-3 /proc/loadavg)
machine="$(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(. /etc/os-release && echo "$PRETTY_NAME")"
export BENCH_TEXT="Run by \`bench/hooks.sh $ROUNDS\` on $(date -u +%Y-%m-%d), commit $commit$dirty; $machine;
\`uptime\` load average at the end: $load (the machine is shared by several builds: the figures are noisy, the ratio
comes from one alternating run). A git repository with $FILES files tracked by mlops ($folders tracked folders of
$per small CSV files; $folders pointer files committed), stat cache warm. Medians of $ROUNDS runs, alternating.
Binary: \`${MLOPS#$root/}\`$BENCH_BUILT.

| command | wall time |
|---|---|
| \`mlops hooks run pre-commit\` (what the installed hook runs on a clean commit) | ${t_hook} ms |
| \`git status\` on the same repository | ${t_git} ms |
| ratio | ${ratio}x |
| \`mlops status\` alone (the scan the hook runs, without git) | ${t_status} ms |
| the hook with one of the $FILES files modified (re-hashed, commit refused) | ${t_dirty} ms |"
python3 bench/write_section.py "$DOC" hooks "Git hooks: pre-commit latency (bench/hooks.sh)"
