#!/usr/bin/env bash
# Benchmark of issue 9, side by side in one run, figures written into docs/benchmarks.md:
# integrated gradients for 1,000 rows of the 30-feature breast-cancer MLP with 50 Gauss-Legendre
# steps: `mlops explain --method integrated-gradients` against a PyTorch script (Debian
# python3-torch, the same LibTorch 1.13, no Captum) doing the same computation on the same
# TorchScript module (one forward/backward per step for all rows). Wall time of each process
# (medians), the script's own time without its imports, and the largest difference between the
# two sets of attributions. Target: mlops under 2 s.
# usage: bench/explain.sh [RUNS]   (default 5; builds into $BUILD, default build)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
RUNS=${1:-5}
DOC=${BENCH_DOC:-$root/docs/benchmarks.md}
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
PY=${PYTHON:-/usr/bin/python3}
$PY -c 'import torch, numpy' 2>/dev/null ||
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends python3-torch python3-numpy >/dev/null
BUILD=${BUILD:-build}
if [ -z "${MLOPS:-}" ]; then
    cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$BUILD" --target mlops mlops_torch -j 2 >/dev/null
    MLOPS="$root/$BUILD/apps/mlops/mlops"
fi
work=$(mktemp -d /tmp/mlops-bench-explain-XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work"
export MLOPS_PROGRESS=0

python3 "$root/examples/ml/split.py" "$root/examples/data/breast_cancer.csv" data --test 0.25 --seed 42 --stratify target
cp "$root/examples/ml/breast_cancer.yaml" model.yaml
sed -i 's|prepared/breast_cancer/|data/|g' model.yaml
"$MLOPS" train model.yaml -o bc -q
# 1,000 rows: the data's rows drawn with replacement (seeded).
$PY - <<'EOF'
import csv, random
rows = list(csv.reader(open("data/train.csv"))) 
rnd = random.Random(9)
csv.writer(open("rows1000.csv", "w", newline="")).writerows([rows[0]] + [rnd.choice(rows[1:]) for _ in range(1000)])
EOF

cat > ig.py <<'EOF'
# Integrated gradients with PyTorch alone, as mlops computes them: inputs standardised with the
# bundle's centre and scale, baseline the all-zero input, each row's predicted class, 50
# Gauss-Legendre steps, one forward/backward per step for all rows.
import csv, json, sys, time
t_import = time.perf_counter()
import numpy as np
import torch
t0 = time.perf_counter()
bundle, data, steps = sys.argv[1], sys.argv[2], int(sys.argv[3])
man = json.load(open(f"{bundle}/manifest.json"))
pre = man["preprocessing"]
names = [f["name"] for f in man["signature"]["features"]]
rows = list(csv.reader(open(data)))
idx = [rows[0].index(n) for n in names]
x = np.array([[float(r[i]) for i in idx] for r in rows[1:]])
x = torch.tensor((x - np.array(pre["center"])) / np.array(pre["scale"]), dtype=torch.float32)
model = torch.jit.load(f"{bundle}/model.pt").eval()
with torch.no_grad():
    target = model(x).argmax(1)
base = torch.zeros_like(x)
nodes, weights = np.polynomial.legendre.leggauss(steps)
alphas, w = (nodes + 1) / 2, weights / 2
total = torch.zeros_like(x)
for a, wk in zip(alphas, w):
    xs = (base + float(a) * (x - base)).requires_grad_(True)
    out = model(xs).gather(1, target.unsqueeze(1)).sum()
    (g,) = torch.autograd.grad(out, xs)
    total += float(wk) * g
attr = ((x - base) * total).numpy()
t1 = time.perf_counter()
json.dump({"seconds": t1 - t0, "attributions": attr.tolist(), "names": names}, open("py_ig.json", "w"))
EOF

median() { python3 -c 'import statistics,sys; print("%.3f" % statistics.median(float(x) for x in sys.argv[1:]))' "$@"; }
now() { date +%s.%N; }
elapsed() { python3 -c "import sys; print('%.4f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$1" "$2"; }
m_times=() p_times=() p_inner=()
for r in $(seq "$RUNS"); do
    t0=$(now)
    "$MLOPS" explain bc rows1000.csv --method integrated-gradients --steps 50 --rows "$(seq -s, 0 999)" --format json > mlops_ig.json
    t1=$(now)
    $PY ig.py bc rows1000.csv 50
    t2=$(now)
    m_times+=("$(elapsed "$t0" "$t1")")
    p_times+=("$(elapsed "$t1" "$t2")")
    p_inner+=("$(python3 -c 'import json; print(json.load(open("py_ig.json"))["seconds"])')")
    echo "run $r: mlops ${m_times[-1]} s | python ${p_times[-1]} s (computation ${p_inner[-1]} s)"
done
t_m=$(median "${m_times[@]}")
t_p=$(median "${p_times[@]}")
t_pi=$(median "${p_inner[@]}")
diff=$($PY - <<'EOF'
import json
m = json.load(open("mlops_ig.json"))["integrated_gradients"]
p = json.load(open("py_ig.json"))
worst = 0.0
for row in m["rows"]:
    for j, n in enumerate(p["names"]):
        worst = max(worst, abs(row["attributions"][n] - p["attributions"][row["row"]][j]))
print("%.2g (completeness: %d of %d rows within the tolerance)" % (worst, m["rows_checked"] - m["rows_failed"], m["rows_checked"]))
EOF
)
ratio=$(python3 -c "print('%.1f' % ($t_p / $t_m))")
verdict=$(python3 -c "print('met' if $t_m < 2 else 'missed')")
echo "mlops ${t_m} s | python ${t_p} s (computation ${t_pi} s) | ${ratio}x | largest attribution difference $diff"

commit=$(git -C "$root" rev-parse --short HEAD)
load=$(cut -d" " -f1-3 /proc/loadavg)
machine="$(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(. /etc/os-release && echo "$PRETTY_NAME")"
tv=$($PY -c 'import torch; print(torch.__version__)')
export BENCH_TEXT="Run by \`bench/explain.sh $RUNS\` on $(date -u +%Y-%m-%d), commit $commit; $machine; load average at the end: $load.
Integrated gradients for 1,000 rows of the breast-cancer MLP (30 features, \`examples/ml/breast_cancer.yaml\`),
50 Gauss-Legendre steps, baseline the all-zero input, each row's predicted class. mlops: the whole
\`mlops explain --method integrated-gradients\` process (loading the torch plugin and the bundle,
reading the CSV, the integration, the JSON of all 1,000 rows). The peer: a PyTorch $tv script
without Captum doing the same batched computation on the same TorchScript module. Medians of $RUNS runs.

| | wall time |
|---|---|
| \`mlops explain\` (whole process) | **${t_m} s** (target < 2 s: $verdict) |
| PyTorch script (whole process) | ${t_p} s |
| PyTorch script (computation only, after its imports) | ${t_pi} s |
| ratio, whole processes | ${ratio}x |

Largest difference between the two sets of attributions: $diff."
$PY "$root/bench/write_section.py" "$DOC" explain "Explanations (bench/explain.sh)"
