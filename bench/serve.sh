#!/usr/bin/env bash
# Benchmark of issue 8, side by side in one run, figures written into docs/benchmarks.md: the breast
# cancer MLP (30 features) served by `mlops serve` and by a Flask + PyTorch server doing the same
# (bench/serve_peer.py), both under `wrk -t2 -c32` with a one-row JSON request; throughput and
# latency percentiles (wrk --latency), rounds alternating between the two. Targets: mlops >= 10x the
# peer's throughput, mlops p99 < 5 ms.
# usage: bench/serve.sh [ROUNDS] [SECONDS]   (default 3 rounds of 10 s each; builds into $BUILD, default build)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
ROUNDS=${1:-3}
SECS=${2:-10}
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
PY=${PYTHON:-/usr/bin/python3}
command -v wrk >/dev/null && $PY -c 'import flask, torch' 2>/dev/null ||
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends wrk python3-flask python3-torch curl >/dev/null
BUILD=${BUILD:-build}
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD" --target mlops mlops_torch mlops_http -j 2 >/dev/null
MLOPS="$root/$BUILD/apps/mlops/mlops"
work=$(mktemp -d /tmp/mlops-bench-serve-XXXXXX)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"' EXIT
cd "$work"
export MLOPS_PROGRESS=0

# The model: examples/ml/breast_cancer.yaml (MLP [32]) on a seeded split, registered.
git init -q -b main repo && cd repo && "$MLOPS" init -q
python3 "$root/examples/ml/split.py" "$root/examples/data/breast_cancer.csv" prepared/breast_cancer --test 0.25 --seed 42 --stratify target
cp "$root/examples/ml/breast_cancer.yaml" .
"$MLOPS" train breast_cancer.yaml -o models/bc -q
"$MLOPS" model register bc models/bc -q
"$MLOPS" model alias bc 1 production -q

# One row of the test split as the request body, in a wrk script.
python3 - prepared/breast_cancer/test.csv <<'PY'
import csv, json, sys
row = next(csv.DictReader(open(sys.argv[1])))
row.pop("target")
body = json.dumps({"dataframe_records": [{k: float(v) for k, v in row.items()}]})
open("body.json", "w").write(body)
open("post.lua", "w").write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = [[%s]]\n' % body)
PY

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_health() {
    for _ in $(seq 1 300); do
        curl -fsS "http://127.0.0.1:$1/health" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "server on port $1 did not start" >&2
    exit 1
}
p_mlops=$(free_port)
"$MLOPS" serve bc@production --port "$p_mlops" -q 2>"$work/mlops.err" &
pids+=($!)
wait_health "$p_mlops"
p_peer=$(free_port)
$PY "$root/bench/serve_peer.py" models/bc "$p_peer" >"$work/peer.log" 2>&1 &
pids+=($!)
wait_health "$p_peer"

# Both answer the same.
a=$(curl -fsS -H 'Content-Type: application/json' --data-binary @body.json "http://127.0.0.1:$p_mlops/invocations")
b=$(curl -fsS -H 'Content-Type: application/json' --data-binary @body.json "http://127.0.0.1:$p_peer/invocations")
[ "$(jq -c .predictions <<<"$a")" = "$(jq -c .predictions <<<"$b")" ] || { echo "the servers disagree: $a vs $b" >&2; exit 1; }

# wrk_run PORT -> "requests/s p50_ms p99_ms errors"
wrk_run() {
    wrk -t2 -c32 -d"${SECS}s" --latency -s post.lua "http://127.0.0.1:$1/invocations" > wrk.out
    python3 - wrk.out <<'PY'
import re, sys
t = open(sys.argv[1]).read()
def ms(s):
    v, u = re.fullmatch(r"([\d.]+)(us|ms|s)", s).groups()
    return float(v) * {"us": 0.001, "ms": 1, "s": 1000}[u]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
p50 = ms(re.search(r"^\s+50%\s+(\S+)", t, re.M).group(1))
p99 = ms(re.search(r"^\s+99%\s+(\S+)", t, re.M).group(1))
m = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
e = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", t)
errors = (int(m.group(1)) if m else 0) + (sum(int(x) for x in e.groups()) if e else 0)
print("%.0f %.3f %.3f %d" % (rps, p50, p99, errors))
PY
}
# Warm-up, then alternating rounds.
wrk -t2 -c32 -d2s -s post.lua "http://127.0.0.1:$p_mlops/invocations" >/dev/null
wrk -t2 -c32 -d2s -s post.lua "http://127.0.0.1:$p_peer/invocations" >/dev/null
m_runs=() p_runs=()
for r in $(seq "$ROUNDS"); do
    m_runs+=("$(wrk_run "$p_mlops")")
    p_runs+=("$(wrk_run "$p_peer")")
    echo "round $r: mlops ${m_runs[-1]} | flask ${p_runs[-1]}   (req/s p50_ms p99_ms errors)"
done
# Medians per column.
med() { python3 -c 'import statistics, sys; rows = [l.split() for l in sys.argv[2:]]; c = int(sys.argv[1]); print(statistics.median(float(r[c]) for r in rows))' "$@"; }
m_rps=$(med 0 "${m_runs[@]}"); m_p50=$(med 1 "${m_runs[@]}"); m_p99=$(med 2 "${m_runs[@]}"); m_err=$(med 3 "${m_runs[@]}")
p_rps=$(med 0 "${p_runs[@]}"); p_p50=$(med 1 "${p_runs[@]}"); p_p99=$(med 2 "${p_runs[@]}"); p_err=$(med 3 "${p_runs[@]}")
ratio=$(python3 -c "print('%.1f' % ($m_rps / $p_rps))")
tp_ok=$(python3 -c "print('PASS' if $m_rps >= 10 * $p_rps else 'MISS')")
p99_ok=$(python3 -c "print('PASS' if $m_p99 < 5 else 'MISS')")
echo "mlops ${m_rps} req/s p99 ${m_p99} ms; flask ${p_rps} req/s p99 ${p_p99} ms; ratio ${ratio}x ($tp_ok), p99 $p99_ok"

commit=$(git -C "$root" rev-parse --short HEAD)
load=$(cut -d" " -f1-3 /proc/loadavg)
machine="$(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
torchv=$($PY -c 'import torch; print(torch.__version__)')
flaskv=$($PY -c 'import importlib.metadata as m; print(m.version("flask"))')
wrkv=$(wrk -v 2>&1 | awk 'NR == 1 {print $2}' || true)
all_rounds=$(for i in "${!m_runs[@]}"; do echo "| $((i + 1)) | ${m_runs[$i]// / | } | ${p_runs[$i]// / | } |"; done)
export BENCH_TEXT="Run by \`bench/serve.sh $ROUNDS $SECS\` on $(date -u +%Y-%m-%d), commit $commit; $machine; load average at the start: ${LOAD_BEFORE:-unknown}, at the end: $load.
The breast cancer MLP (\`examples/ml/breast_cancer.yaml\`: 30 inputs, hidden [32], 2 classes) served by
\`mlops serve bc@production\` (64 worker threads, one inference thread each, no log) and by
\`bench/serve_peer.py\` (Flask $flaskv with \`threaded=True\`, PyTorch $torchv from Debian, one intra-op thread,
the same TorchScript module and preprocessing); both answer the same. Load: \`wrk -t2 -c32 -d${SECS}s --latency\`
(wrk $wrkv, on the same 2 cores as the servers), keep-alive, one-row \`dataframe_records\` JSON per
request; rounds alternate between the two servers after a 2 s warm-up of each. Medians of $ROUNDS rounds:

| server | requests/s | p50 | p99 | errors |
|---|---|---|---|---|
| \`mlops serve\` | $m_rps | ${m_p50} ms | ${m_p99} ms | $m_err |
| Flask + PyTorch | $p_rps | ${p_p50} ms | ${p_p99} ms | $p_err |

Throughput ratio mlops / Flask: **${ratio}x** (target >= 10x: $tp_ok); mlops p99 **${m_p99} ms** (target < 5 ms: $p99_ok).

Every round (requests/s, p50 ms, p99 ms, errors):

| round | mlops req/s | p50 | p99 | errors | Flask req/s | p50 | p99 | errors |
|---|---|---|---|---|---|---|---|---|
$all_rounds"
$PY "$root/bench/write_section.py" "$root/docs/benchmarks.md" serve "Serving (bench/serve.sh)"
