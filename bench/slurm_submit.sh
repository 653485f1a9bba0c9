#!/usr/bin/env bash
# Slurm's side of `mlops run --executor slurm` at scale (docs/scaling.md): the time of one `sbatch`
# in a chain of dependent jobs (mlops submits one per stage, sequentially), and the time and size of
# one `scontrol -o show job` poll with those jobs in the controller. Starts the test cluster of
# tests/e2e/slurmlib.sh (root; slurm-wlm and munge installed); the jobs are held, nothing runs.
#   N=1000 bash bench/slurm_submit.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
MLOPS=/bin/true # lib.sh wants it; no mlops command is timed here
source "$here/../tests/e2e/lib.sh"
source "$here/../tests/e2e/slurmlib.sh"
N=${N:-500}
load_before=$(cut -d" " -f1-3 /proc/loadavg)
slurm_start
cd "$E2E_TMP"
prev=""
t0=$(date +%s.%N)
for _ in $(seq 1 "$N"); do
    dep=()
    [ -n "$prev" ] && dep=(--dependency=afterok:"$prev")
    prev=$(sbatch --parsable --hold --kill-on-invalid-dep=yes -o /dev/null "${dep[@]}" --wrap true)
done
t1=$(date +%s.%N)
for _ in 1 2 3 4 5; do scontrol -o show job >jobs.txt; done
t2=$(date +%s.%N)
read -r per_job per_poll size per_job_bytes < <(python3 - "$N" "$t0" "$t1" "$t2" "$(stat -c %s jobs.txt)" <<'PY'
import sys
n, t0, t1, t2, size = int(sys.argv[1]), *map(float, sys.argv[2:5]), int(sys.argv[5])
print(f"{(t1 - t0) * 1000 / n:.1f} {(t2 - t1) * 1000 / 5:.1f} {size} {size / n:.0f}")
PY
)
echo "sbatch, chained afterok: $per_job ms per job | scontrol -o show job with $N jobs: $per_poll ms per poll, $size bytes ($per_job_bytes per job)"
root="$(cd "$here/.." && pwd)"
DOC=${BENCH_DOC:-$root/docs/benchmarks.md}
commit=$(git -C "$root" rev-parse --short HEAD)
machine="$(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(. /etc/os-release && echo "$PRETTY_NAME"), $(sbatch --version)"
export BENCH_TEXT="Run by \`N=$N bench/slurm_submit.sh\` on $(date -u +%Y-%m-%d), commit $commit; $machine; load before
$load_before. The single-node test cluster of tests/e2e/slurmlib.sh; $N held jobs, each
\`--dependency=afterok\` on the one before (what \`mlops run --executor slurm\` submits, one \`sbatch\` per stage).

| what | figure |
|---|---|
| one \`sbatch --parsable\` in the chain | $per_job ms |
| one \`scontrol -o show job\` poll with $N jobs in the controller | $per_poll ms, $size bytes ($per_job_bytes per job) |

What these mean at 1,000 stages and 100 nodes: docs/scaling.md."
python3 "$root/bench/write_section.py" "$DOC" slurm "Slurm submission and polling (bench/slurm_submit.sh)"
