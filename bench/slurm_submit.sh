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
python3 - "$N" "$t0" "$t1" "$t2" "$(stat -c %s jobs.txt)" <<'PY'
import sys
n, t0, t1, t2, size = int(sys.argv[1]), *map(float, sys.argv[2:5]), int(sys.argv[5])
print(f"sbatch, chained afterok: {n} jobs in {t1 - t0:.2f} s = {(t1 - t0) * 1000 / n:.1f} ms per job")
print(f"scontrol -o show job with {n} jobs: {(t2 - t1) * 1000 / 5:.1f} ms per poll, {size} bytes ({size / n:.0f} per job)")
PY
