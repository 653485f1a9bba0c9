#!/usr/bin/env bash
# Benchmark of issue 5, side by side in one run, figures written into docs/benchmarks.md:
#  1. accuracy of the examples' models vs scikit-learn baselines on the same splits;
#  2. the same MLP trained by `mlops train` and by a PyTorch script (Debian python3-torch, the same
#     LibTorch 1.13), same data, epochs, batch size and threads: wall time (median) and accuracy;
#  3. loading a 1M-row x 20-column numeric CSV: mlops's reader vs pandas.read_csv (median);
#  4. start-up: `mlops --version` / `mlops status` do not load LibTorch (ldd, timing).
# usage: bench/train.sh [RUNS]   (default 5; builds into $BUILD, default build)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
RUNS=${1:-5}
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
# Debian's python3-* packages live in the system interpreter (not a pyenv or venv one on PATH).
PY=${PYTHON:-/usr/bin/python3}
$PY -c 'import sklearn, pandas, torch' 2>/dev/null ||
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends python3-sklearn python3-pandas python3-torch >/dev/null
BUILD=${BUILD:-build}
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD" --target mlops mlops_torch mlops_csv_bench -j 2 >/dev/null
MLOPS="$root/$BUILD/apps/mlops/mlops"
CSVB="$root/$BUILD/tests/mlops_csv_bench"
work=$(mktemp -d /tmp/mlops-bench-train-XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work"
export MLOPS_PROGRESS=0

median() { python3 -c 'import statistics,sys; print("%.3f" % statistics.median(float(x) for x in sys.argv[1:]))' "$@"; }
now() { date +%s.%N; }
elapsed() { python3 -c "import sys; print('%.4f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$1" "$2"; }

# --- 1. accuracy vs scikit-learn -----------------------------------------------------------------
python3 "$root/examples/ml/split.py" "$root/examples/data/breast_cancer.csv" prepared/breast_cancer --test 0.25 --seed 42 --stratify target
python3 "$root/examples/ml/split.py" "$root/examples/data/digits.csv" prepared/digits --test 0.25 --seed 42 --stratify target
cp "$root/examples/ml/breast_cancer.yaml" "$root/examples/ml/digits.yaml" .
acc() { "$MLOPS" evaluate "$1" "$2" --json | python3 -c 'import json,sys; print("%.6f" % json.load(sys.stdin)["accuracy"])'; }
"$MLOPS" train breast_cancer.yaml -o bc -q
"$MLOPS" train digits.yaml -o dg -q
bc_mlops=$(acc bc prepared/breast_cancer/test.csv)
dg_mlops=$(acc dg prepared/digits/test.csv)
bc_sk=$($PY "$root/bench/baselines.py" prepared/breast_cancer/train.csv prepared/breast_cancer/test.csv target logreg)
dg_sk=$($PY "$root/bench/baselines.py" prepared/digits/train.csv prepared/digits/test.csv target mlp)
echo "breast cancer: mlops $bc_mlops  sklearn LogisticRegression $bc_sk"
echo "digits (cnn):  mlops $dg_mlops  sklearn MLPClassifier $dg_sk"

# --- 2. mlops train vs PyTorch ---------------------------------------------------------------------
EPOCHS=${EPOCHS:-50}
cat > mlp.yaml <<YAML
task: classification
data: {train: prepared/digits/train.csv, test: prepared/digits/test.csv, target: target}
preprocess: standardize
model: {type: mlp, hidden: [64, 32], activation: relu}
train: {optimizer: adam, lr: 0.001, epochs: $EPOCHS, batch_size: 32, seed: 42, threads: 1}
YAML
t_mlops=() t_py=() a_mlops="" a_py=""
for i in $(seq "$RUNS"); do
    s=$(now); "$MLOPS" train mlp.yaml -o mlp -q; e=$(now); t_mlops+=("$(elapsed "$s" "$e")")
    s=$(now); a_py=$($PY "$root/bench/train_peer.py" prepared/digits/train.csv prepared/digits/test.csv target 64,32 "$EPOCHS" 32 0.001 1 42); e=$(now)
    t_py+=("$(elapsed "$s" "$e")")
done
a_mlops=$(acc mlp prepared/digits/test.csv)
m_mlops=$(median "${t_mlops[@]}"); m_py=$(median "${t_py[@]}")
ratio=$(python3 -c "print('%.2f' % ($m_mlops / $m_py))")
echo "train MLP: mlops ${m_mlops}s (acc $a_mlops)  PyTorch ${m_py}s (acc $a_py)  ratio $ratio"

# --- 3. CSV load ---------------------------------------------------------------------------------
python3 - <<'PY'
import random
r = random.Random(1)
with open("big.csv", "w") as f:
    f.write(",".join("c%d" % i for i in range(20)) + "\n")
    for _ in range(1_000_000):
        f.write(",".join("%.6g" % r.gauss(0, 100) for _ in range(20)) + "\n")
PY
size=$(du -m big.csv | cut -f1)
t_csv=() t_pd=()
for i in $(seq "$RUNS"); do
    t_csv+=("$("$CSVB" big.csv | awk '{print $4}')")
    t_pd+=("$($PY -c 'import time, pandas as pd
t = time.perf_counter(); d = pd.read_csv("big.csv"); print("%.4f" % (time.perf_counter() - t))')")
done
m_csv=$(median "${t_csv[@]}"); m_pd=$(median "${t_pd[@]}")
csv_ratio=$(python3 -c "print('%.1f' % ($m_pd / $m_csv))")
echo "CSV 1M x 20 (${size} MB): mlops ${m_csv}s  pandas ${m_pd}s  -> ${csv_ratio}x faster"

# --- 4. start-up ---------------------------------------------------------------------------------
torch_libs=$(ldd "$MLOPS" | grep -cE 'libtorch|libc10' || true)
git init -q repo && (cd repo && "$MLOPS" init -q)
t_ver=() t_st=()
for i in $(seq 20); do
    s=$(now); "$MLOPS" --version >/dev/null; e=$(now); t_ver+=("$(elapsed "$s" "$e")")
    s=$(now); "$MLOPS" -C repo status >/dev/null; e=$(now); t_st+=("$(elapsed "$s" "$e")")
done
m_ver=$(python3 -c "import statistics,sys; print('%.1f' % (1000*statistics.median(float(x) for x in sys.argv[1:])))" "${t_ver[@]}")
m_st=$(python3 -c "import statistics,sys; print('%.1f' % (1000*statistics.median(float(x) for x in sys.argv[1:])))" "${t_st[@]}")
echo "start-up: ldd mlops | grep torch -> $torch_libs libraries; --version ${m_ver} ms, status ${m_st} ms"

# --- docs/benchmarks.md ----------------------------------------------------------------------------
commit=$(git -C "$root" rev-parse --short HEAD)
load=$(cut -d" " -f1-3 /proc/loadavg)
machine="$(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
torchv=$($PY -c 'import torch; print(torch.__version__)')
skv=$($PY -c 'import sklearn; print(sklearn.__version__)')
pdv=$($PY -c 'import pandas; print(pandas.__version__)')
export BENCH_TEXT="Run by \`bench/train.sh $RUNS\` on $(date -u +%Y-%m-%d), commit $commit; $machine. Medians of $RUNS runs,
side by side in one run (mlops and its peer alternate); load average at the end: $load. PyTorch $torchv (Debian python3-torch), scikit-learn $skv, pandas $pdv.

Accuracy on the examples' held-out 25 % (seeded, stratified split by \`examples/ml/split.py\`):

| data | mlops model | mlops accuracy | baseline | baseline accuracy |
|---|---|---|---|---|
| breast cancer | mlp [32] (\`examples/ml/breast_cancer.yaml\`) | $bc_mlops | scikit-learn LogisticRegression (standardized) | $bc_sk |
| digits | cnn [16, 32] + [64] (\`examples/ml/digits.yaml\`) | $dg_mlops | scikit-learn MLPClassifier (standardized) | $dg_sk |

The same MLP (64 inputs -> 64 -> 32 -> 10, ReLU, Adam lr 0.001, batch 32, $EPOCHS epochs, 1 thread,
validation every epoch) on the digits split, whole process wall time:

| trainer | wall time | accuracy |
|---|---|---|
| \`mlops train\` | ${m_mlops} s | $a_mlops |
| PyTorch script (\`bench/train_peer.py\`) | ${m_py} s | $a_py |
| ratio mlops / PyTorch | **$ratio** | |

Loading a 1,000,000-row x 20-column numeric CSV (${size} MB, page cache warm): mlops's reader
(\`bench/csv_load.cpp\`, all cores) ${m_csv} s, \`pandas.read_csv\` ${m_pd} s: **${csv_ratio}x** faster.

Start-up is unaffected: \`ldd mlops | grep -E 'libtorch|libc10'\` finds $torch_libs libraries;
\`mlops --version\` takes ${m_ver} ms and \`mlops status\` in an empty repository ${m_st} ms (medians of 20)."
python3 - "$root/docs/benchmarks.md" <<'PY'
import os, sys
path = sys.argv[1]
start, end = "<!-- bench:train:start -->", "<!-- bench:train:end -->"
text = open(path).read()
block = start + "\n" + os.environ["BENCH_TEXT"] + "\n" + end
if start in text and end in text:
    text = text[: text.index(start)] + block + text[text.index(end) + len(end):]
else:
    text = text.rstrip("\n") + "\n\n## Training (bench/train.sh)\n\n" + block + "\n"
open(path, "w").write(text)
PY
echo "figures written to docs/benchmarks.md"
