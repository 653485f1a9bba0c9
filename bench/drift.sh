#!/usr/bin/env bash
# Drift benchmark (issue 7): `mlops drift` vs a Python script doing the same tests with pandas and
# scipy (bench/drift_reference.py), on 1,000,000 rows x 20 columns (15 numeric, 5 categorical)
# reference and current CSVs. Side by side in one run: the rounds alternate mlops and Python; wall
# time and peak RSS from /usr/bin/time, medians. Targets: >= 20x faster, <= 0.5x peak memory.
# Writes the section between <!-- bench:drift:start --> and <!-- bench:drift:end --> of
# docs/benchmarks.md. Benchmarks only record: nothing here fails on a missed target.
#
# usage: bench/drift.sh [ROUNDS]   (default 3; builds into $BUILD, default build-bench)
# Environment: BENCH_ROWS (default 1000000), BENCH_DOC (default docs/benchmarks.md; none skips),
#              MLOPS (binary to measure; default: build Release into $BUILD)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
ROUNDS=${1:-3}
ROWS=${BENCH_ROWS:-1000000}
DOC=${BENCH_DOC:-$root/docs/benchmarks.md}
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
# Debian's python3-* packages live in the system interpreter (not a pyenv or venv one on PATH).
PY=${PYTHON:-/usr/bin/python3}
$PY -c 'import scipy, pandas' 2>/dev/null ||
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends python3-scipy python3-pandas >/dev/null
[ -x /usr/bin/time ] || DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends time >/dev/null
source bench/lib.sh
bench_build mlops
export MLOPS_PROGRESS=0

# --- data (deterministic, cached) ----------------------------------------------------------
work="$root/bench/work/drift-$ROWS"
mkdir -p "$work"
if [ ! -s "$work/current.csv" ]; then
    echo "generating $ROWS rows x 20 columns into $work ..."
    $PY - "$work" "$ROWS" <<'EOF'
import sys
import numpy as np
import pandas as pd
out, n = sys.argv[1], int(sys.argv[2])
def make(seed, drift):
    rng = np.random.default_rng(seed)
    cols = {}
    for i in range(15):
        shift = 0.05 * drift * (i % 5)  # columns 0, 5, 10 unchanged; others shifted in CURRENT
        if i % 3 == 0:
            v = rng.normal(10 * i + shift, 1 + i / 10, n)
        elif i % 3 == 1:
            v = rng.exponential(1 + i / 5 + shift, n)
        else:
            v = rng.integers(0, 1000, n) / 10 + shift
        cols[f"num_{i:02d}"] = np.round(v, 4)
    sizes = [3, 7, 12, 30, 200]
    for i, k in enumerate(sizes):
        p = rng.random(k) + drift * np.linspace(0, 0.5, k) * (i % 2)
        cols[f"cat_{i}"] = rng.choice([f"c{i}_{j}" for j in range(k)], n, p=p / p.sum())
    return pd.DataFrame(cols)
make(1, 0).to_csv(f"{out}/reference.csv", index=False)
make(2, 1).to_csv(f"{out}/current.csv", index=False)
EOF
fi
ref="$work/reference.csv"
cur="$work/current.csv"
size=$(du -m "$ref" | cut -f1)

# --- rounds --------------------------------------------------------------------------------
median() { $PY -c 'import statistics,sys; print("%.3f" % statistics.median(float(x) for x in sys.argv[1:]))' "$@"; }
measure() { # measure OUT CMD...: runs CMD, appends "seconds kib" of /usr/bin/time to OUT
    local out=$1
    shift
    /usr/bin/time -f '%e %M' -o "$work/time.out" "$@" > "$work/stdout.txt"
    tail -n 1 "$work/time.out" >> "$out"
}
: > "$work/mlops.tsv"
: > "$work/same.tsv"
: > "$work/python.tsv"
cat "$ref" "$cur" > /dev/null # page cache warm for both
for r in $(seq "$ROUNDS"); do
    measure "$work/mlops.tsv" "$MLOPS" --json drift "$ref" "$cur"
    cp "$work/stdout.txt" "$work/mlops.json"
    # The same tests as the Python script and nothing more: no PCA check.
    measure "$work/same.tsv" "$MLOPS" --json drift --no-multivariate "$ref" "$cur"
    measure "$work/python.tsv" "$PY" "$root/bench/drift_reference.py" "$ref" "$cur"
    cp "$work/stdout.txt" "$work/python.json"
    echo "round $r: mlops $(tail -n 1 "$work/mlops.tsv") | same tests $(tail -n 1 "$work/same.tsv") | python $(tail -n 1 "$work/python.tsv") (s, KiB)"
done
t_m=$(median $(cut -d' ' -f1 "$work/mlops.tsv"))
t_p=$(median $(cut -d' ' -f1 "$work/python.tsv"))
m_m=$(median $(cut -d' ' -f2 "$work/mlops.tsv"))
m_p=$(median $(cut -d' ' -f2 "$work/python.tsv"))
speedup=$($PY -c "print('%.1f' % ($t_p / $t_m))")
memratio=$($PY -c "print('%.2f' % ($m_m / $m_p))")
t_s=$(median $(cut -d' ' -f1 "$work/same.tsv"))
m_s=$(median $(cut -d' ' -f2 "$work/same.tsv"))
speedup_same=$($PY -c "print('%.1f' % ($t_p / $t_s))")
memratio_same=$($PY -c "print('%.2f' % ($m_s / $m_p))")
mib() { $PY -c "print('%.0f' % ($1 / 1024))"; }
# Both found the same drifted columns (the statistics themselves are compared in tests/e2e/drift_test.sh).
same=$($PY - "$work/mlops.json" "$work/python.json" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1])); p = json.load(open(sys.argv[2]))
a = sorted(c["name"] for c in m["columns"] if c["drifted"])
b = sorted(k for k, v in p["columns"].items() if v["drifted"])
tests = sorted({c["test"] for c in m["columns"]})
print(("yes" if a == b else f"NO (mlops {a}, python {b})") + f"; {len(a)} of 20 drifted; tests {', '.join(tests)}")
EOF
)
verdict() { $PY -c "import sys; print('met' if $1 else 'missed')"; }
echo "mlops ${t_m}s $(mib "$m_m") MiB | python ${t_p}s $(mib "$m_p") MiB | ${speedup}x faster, ${memratio}x memory | same verdicts: $same"

commit=$(git rev-parse --short HEAD)
dirty=$(git status --porcelain -- libmlops apps | grep -q . && echo " (with uncommitted changes)" || true)
load=$(cut -d" " -f1-3 /proc/loadavg)
machine="$(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(. /etc/os-release && echo "$PRETTY_NAME")"
scv=$($PY -c 'import scipy; print(scipy.__version__)')
pdv=$($PY -c 'import pandas; print(pandas.__version__)')
export BENCH_TEXT="Run by \`bench/drift.sh $ROUNDS\` on $(date -u +%Y-%m-%d), commit $commit$dirty; $machine.
Reference and current CSVs of $ROWS rows x 20 columns (15 numeric, 5 categorical with 3-200 values;
${size} MB each, generated once into \`bench/work/\`, page cache warm). \`mlops --json drift REF CUR\`
vs \`bench/drift_reference.py REF CUR\` (pandas $pdv \`read_csv\` of both files, then per column the
same default tests with scipy $scv: Wasserstein for the numeric, Jensen-Shannon for the categorical
columns). \`mlops drift --no-multivariate\` runs exactly those tests; plain \`mlops drift\` adds the
PCA reconstruction check. $ROUNDS rounds, the three commands alternating; medians of \`/usr/bin/time -f '%e %M'\`; load
average at the end: $load. The machine is shared: compare the ratios, which come from one run.

| | wall time | peak RSS |
|---|---|---|
| \`mlops drift --no-multivariate\` (the same tests, all cores) | ${t_s} s | $(mib "$m_s") MiB |
| \`mlops drift\` (with the PCA check, all cores) | ${t_m} s | $(mib "$m_m") MiB |
| pandas + scipy | ${t_p} s | $(mib "$m_p") MiB |
| ratio, same tests | **${speedup_same}x faster** (target >= 20x: $(verdict "$speedup_same >= 20")) | **${memratio_same}x** (target <= 0.5x: $(verdict "$memratio_same <= 0.5")) |
| ratio, with the PCA check | ${speedup}x faster | ${memratio}x |

Binary: \`$MLOPS\`$BENCH_BUILT. Same drifted columns in both: $same. mlops's report also has
the histograms (and, without --no-multivariate, the PCA check), which the Python script does not
compute. The numbers in these files have at most 4 decimals, as CSV figures usually do: mlops counts
them per step of their decimal grid as it reads them instead of keeping and sorting them (see
docs/drift.md, Speed and memory); the PCA check needs the rows, so plain \`mlops drift\` keeps them
(8 bytes a value). CPU profile of \`mlops drift --no-multivariate\` (perf, one thread): about 30% reading
the numbers, 30% the rest of the CSV parsing, 15% counting the numbers on their grids, 20% counting
the text values."
$PY "$root/bench/write_section.py" "$DOC" drift "Drift reports (bench/drift.sh)"
