#!/usr/bin/env bash
# Core benchmark (issue 2): mlops add / status against the physical floor, git-lfs, git-annex and git.
#
# Measures, in one run and side by side:
#   1. `mlops add data` on a dataset (50,000 files of 1-16 KiB in 100 nested folders + one 1 GiB file)
#      vs the physical floor = max(parallel sha256sum of every file, `cp -r` + `sync`);
#   2. the same add with git-lfs (`git add data` through the lfs filter) and `git annex add data`;
#   3. `mlops status` vs `git status` on that dataset, nothing changed (hyperfine);
#   4. `mlops --version` and `mlops status` in a small repository (hyperfine -N);
#   5. whether the mlops binary links LibTorch (ldd).
# and replaces the section between <!-- bench:core:start --> and <!-- bench:core:end --> in
# docs/benchmarks.md with the figures. Benchmarks only record: nothing here fails on a missed target.
#
# Environment:
#   BENCH_SCALE      full (default: 50,000 files + 1 GiB) or small (5,000 files + 100 MiB)
#   BENCH_RUNS       runs of the fast add-type contenders (mlops, floors); default 3
#   BENCH_RUNS_SLOW  runs of git-lfs and git-annex; default 3 at small scale, 1 at full scale
#   BENCH_STATUS_ROUNDS  rounds of hyperfine for status on the dataset (10 runs of each command a
#                    round); default 3
#   BENCH_WORK       scratch folder (default bench/work/core-SCALE, gitignored); the dataset is kept
#                    there and reused by later runs with the same scale and seed
#   BENCH_SEED       dataset seed (default 20240502)
#   BENCH_DOC        Markdown file to update (default docs/benchmarks.md); BENCH_DOC=none skips it
#   BENCH_QUIET      before each measurement, wait until other processes use fewer cores than this
#                    (default 0.25) ...
#   BENCH_QUIET_MAX  ... but at most this many seconds (default 120; 0 = do not wait)
#   MLOPS            mlops binary to measure (default: build Release into build-bench/)
#   BENCH_BUILT_FROM how to describe that binary in the doc (default: the commit, and whether the
#                    tree had uncommitted changes)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SCALE=${BENCH_SCALE:-full}
case "$SCALE" in
full) FOLDERS=100 PER_FOLDER=500 BIG_MIB=1024 RUNS_SLOW=${BENCH_RUNS_SLOW:-1} ;;
small) FOLDERS=10 PER_FOLDER=500 BIG_MIB=100 RUNS_SLOW=${BENCH_RUNS_SLOW:-3} ;;
*)
    echo "core.sh: BENCH_SCALE must be full or small, not '$SCALE'" >&2
    exit 2
    ;;
esac
RUNS_FAST=${BENCH_RUNS:-3}
STATUS_ROUNDS=${BENCH_STATUS_ROUNDS:-3}
SEED=${BENCH_SEED:-20240502}
WORK=${BENCH_WORK:-$ROOT/bench/work/core-$SCALE}
DOC=${BENCH_DOC:-$ROOT/docs/benchmarks.md}

say() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*"; }

# ---------------------------------------------------------------- tools
need=()
command -v git >/dev/null || need+=(git)
command -v git-lfs >/dev/null || need+=(git-lfs)
command -v git-annex >/dev/null || need+=(git-annex)
command -v hyperfine >/dev/null || need+=(hyperfine)
command -v python3 >/dev/null || need+=(python3)
[ -x /usr/bin/time ] || need+=(time)
if ((${#need[@]})); then
    say "installing ${need[*]}"
    SUDO=""
    [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

MLOPS_GIVEN=${MLOPS:+yes}
if [ -z "${MLOPS:-}" ]; then
    say "building mlops (Release) in build-bench/"
    cmake -S "$ROOT" -B "$ROOT/build-bench" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
    ninja -C "$ROOT/build-bench" mlops >/dev/null
    MLOPS=$ROOT/build-bench/apps/mlops/mlops
fi
MLOPS=$(realpath "$MLOPS")
# What was measured: the commit, and whether the sources built differed from it.
COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git -C "$ROOT" status --porcelain -- CMakeLists.txt apps libmlops 2>/dev/null)" ]; then
    COMMIT="$COMMIT + uncommitted changes in apps/ and libmlops/"
fi
[ -z "$MLOPS_GIVEN" ] || COMMIT="a binary given with MLOPS (the tree is at $COMMIT)"
COMMIT=${BENCH_BUILT_FROM:-$COMMIT}
START_NS=$(date +%s%N) # the run's duration excludes building mlops
START_DATE=$(date -u '+%Y-%m-%d %H:%M UTC')

# Git and its helpers see only this configuration: results do not depend on ~/.gitconfig.
mkdir -p "$WORK/logs"
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL="$WORK/gitconfig"
cat >"$GIT_CONFIG_GLOBAL" <<'EOF'
[user]
	name = mlops bench
	email = bench@mlops.invalid
[init]
	defaultBranch = main
EOF
export MLOPS_PROGRESS=0 LC_ALL=C

# ---------------------------------------------------------------- dataset
SRC=$WORK/src # the dataset is $SRC/data
NFILES=$((FOLDERS * PER_FOLDER + 1))
STAMP="v1 seed=$SEED folders=$FOLDERS per_folder=$PER_FOLDER big_mib=$BIG_MIB"
GEN_SECS=reused
if [ "$(cat "$WORK/dataset.stamp" 2>/dev/null)" != "$STAMP" ] ||
    [ "$(find "$SRC/data" -type f 2>/dev/null | wc -l)" != "$NFILES" ]; then
    say "generating dataset: $((FOLDERS * PER_FOLDER)) files of 1-16 KiB in $FOLDERS folders + ${BIG_MIB} MiB file"
    rm -rf "$SRC" "$WORK/dataset.stamp"
    t0=$(date +%s%N)
    python3 - "$SRC/data" "$SEED" "$FOLDERS" "$PER_FOLDER" "$BIG_MIB" <<'PY'
import os, random, sys
root, seed, folders, per, big_mib = sys.argv[1], *map(int, sys.argv[2:])
rng = random.Random(seed)
for i in range(folders):
    d = os.path.join(root, f"g{i // 10:02d}", f"f{i:03d}")  # data/gNN/fNNN/sNNN.bin
    os.makedirs(d, exist_ok=True)
    for j in range(per):
        with open(os.path.join(d, f"s{j:03d}.bin"), "wb") as f:
            f.write(rng.randbytes(rng.randint(1024, 16384)))
with open(os.path.join(root, "big.bin"), "wb") as f:
    for _ in range(big_mib):
        f.write(rng.randbytes(1 << 20))
PY
    sync
    GEN_SECS=$(((($(date +%s%N) - t0) / 1000000 + 500) / 1000))
    echo "$STAMP" >"$WORK/dataset.stamp"
fi
DATA_BYTES=$(du -sb "$SRC/data" | cut -f1)
say "dataset: $NFILES files, $DATA_BYTES bytes (generation seconds: $GEN_SECS)"

# ---------------------------------------------------------------- helpers
SCR=$WORK/scratch
RES=$WORK/results.tsv
: >"$RES"

# Fresh scratch folder, nothing dirty in the page cache. Old scratch folders are moved aside, not
# deleted, until the end: ext4 without a journal (this machine's) skips inodes freed in the last
# 60 s when it allocates new ones, so creating 50,000 files right after deleting 50,000 costs
# several times more than on a quiet filesystem, and whichever contender came after a deletion lost.
TRASH=$WORK/trash
reset_scratch() {
    if [ -d "$SCR" ]; then
        mkdir -p "$TRASH"
        mv "$SCR" "$TRASH/$(date +%s%N)"
    fi
    sync
    mkdir -p "$SCR"
}

# Read every file once so that each contender starts with the same warm page cache.
warm() { find "$1" -type f -print0 | xargs -0 cat >/dev/null; }

new_git_repo() { git init -q "$1"; }

# CPU seconds (all cores) the machine has been busy since boot: user+nice+system+irq+softirq+steal.
busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat; }
HZ=$(getconf CLK_TCK)

# The machine is shared: before each measurement wait (at most BENCH_QUIET_MAX seconds, default 120)
# until other processes use less than BENCH_QUIET cores (default 0.25) over two 1-second samples.
QUIET=${BENCH_QUIET:-0.25}
QUIET_MAX=${BENCH_QUIET_MAX:-120}
wait_quiet() {
    local waited=0 calm=0 b0 b1
    ((QUIET_MAX > 0)) || return 0
    while ((waited < QUIET_MAX)); do
        b0=$(busy_ticks)
        sleep 1
        b1=$(busy_ticks)
        waited=$((waited + 1))
        if awk -v d=$((b1 - b0)) -v hz="$HZ" -v q="$QUIET" 'BEGIN { exit !(d / hz < q) }'; then
            calm=$((calm + 1))
            ((calm >= 2)) && return 0
        else
            calm=0
        fi
    done
    say "  (machine still busy after ${QUIET_MAX}s; measuring anyway)"
}

# timed LABEL DIR CMD...: run CMD in DIR under /usr/bin/time; record wall seconds, max RSS and how many
# cores other processes kept busy meanwhile (machine busy time minus the command's own CPU time).
timed() {
    local label=$1 dir=$2 log t0 t1 b0 b1 secs rss other
    shift 2
    log=$WORK/logs/$label.$ROUND.log
    wait_quiet
    b0=$(busy_ticks)
    t0=$(date +%s%N)
    if ! (cd "$dir" && /usr/bin/time -f '%e %M %U %S' -o "$WORK/time.out" "$@") >"$log" 2>&1; then
        say "FAILED: $label ($*); last lines of $log:"
        tail -n 20 "$log" >&2
        exit 1
    fi
    t1=$(date +%s%N)
    b1=$(busy_ticks)
    secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
    read -r _ rss other < <(tail -n 1 "$WORK/time.out" | awk -v d=$((b1 - b0)) -v hz="$HZ" -v w="$secs" \
        '{ o = (d / hz - $3 - $4) / w; printf "%s %s %.2f\n", $1, $2, (o < 0 ? 0 : o) }')
    printf '%s\t%s\t%s\t%s\n' "$label" "$secs" "$rss" "$other" >>"$RES"
    say "  $label: ${secs} s (max RSS $((rss / 1024)) MiB; other processes: $other cores)"
}

# hf NAME JSON WARMUP RUNS ARGS...: hyperfine -N after a quiet wait; records how busy other processes
# kept the machine meanwhile.
hf() {
    local name=$1 json=$2 warmup=$3 runs=$4 b0 b1 t0 t1
    shift 4
    wait_quiet
    b0=$(busy_ticks)
    t0=$(date +%s%N)
    if ! hyperfine -N --warmup "$warmup" --runs "$runs" "$@" --export-json "$json" >"$WORK/logs/$name-hyperfine.log" 2>&1; then
        cat "$WORK/logs/$name-hyperfine.log" >&2
        exit 1
    fi
    t1=$(date +%s%N)
    b1=$(busy_ticks)
    # The measured commands' own CPU time: mean user+system times (warmups + runs), per command.
    python3 - "$json" $((b1 - b0)) "$HZ" $((t1 - t0)) "$warmup" >"$json.other" <<'PY2'
import json, sys
d = json.load(open(sys.argv[1])); busy = int(sys.argv[2]) / int(sys.argv[3]); wall = int(sys.argv[4]) / 1e9
own = sum((r["user"] + r["system"]) * (len(r["times"]) + int(sys.argv[5])) for r in d["results"])
print(f"{max(0.0, busy - own) / wall:.2f}")
PY2
    grep -E 'Benchmark|Time \(mean' "$WORK/logs/$name-hyperfine.log" | tr -s ' ' | paste - - | while read -r l; do say "  $l"; done
    say "  other processes: about $(cat "$json.other") cores"
}

# ---------------------------------------------------------------- 1 + 2: add-type runs
# Rounds interleave the contenders so that noise from the shared machine spreads over all of them.
ROUNDS=$((RUNS_FAST > RUNS_SLOW ? RUNS_FAST : RUNS_SLOW))
for ((ROUND = 1; ROUND <= ROUNDS; ROUND++)); do
    say "round $ROUND/$ROUNDS"
    if ((ROUND <= RUNS_FAST)); then
        reset_scratch
        warm "$SRC/data"
        timed floor-hash "$SRC" bash -c 'find data -type f -print0 | xargs -0 -P"$(nproc)" sha256sum >/dev/null'

        reset_scratch
        warm "$SRC/data"
        timed floor-copy "$SRC" bash -c "cp -r data '$SCR/copy' && sync"

        reset_scratch
        new_git_repo "$SCR/repo"
        (cd "$SCR/repo" && "$MLOPS" -q init)
        cp -al "$SRC/data" "$SCR/repo/data"
        sync
        warm "$SCR/repo/data"
        timed mlops-add "$SCR/repo" "$MLOPS" add data
    fi
    if ((ROUND <= RUNS_SLOW)); then
        reset_scratch
        new_git_repo "$SCR/repo"
        (cd "$SCR/repo" && git lfs install --local >/dev/null && git lfs track 'data/**' >/dev/null &&
            git add .gitattributes && git commit -qm 'track data with lfs')
        cp -al "$SRC/data" "$SCR/repo/data"
        sync
        warm "$SCR/repo/data"
        timed git-lfs-add "$SCR/repo" git add data

        # git-annex moves the files into its store and leaves symlinks: give it a real copy.
        reset_scratch
        new_git_repo "$SCR/repo"
        (cd "$SCR/repo" && git annex init -q bench >/dev/null)
        cp -r "$SRC/data" "$SCR/repo/data"
        sync
        warm "$SCR/repo/data"
        timed git-annex-add "$SCR/repo" git annex add data
    fi
done
reset_scratch

# ---------------------------------------------------------------- 3: status on the dataset
say "status on the dataset (setting up a plain git repo and an mlops repo)"
ST=$SCR/status
new_git_repo "$ST/git"
new_git_repo "$ST/mlops"
# Link both trees before anything records stat data: linking changes the files' ctime.
cp -al "$SRC/data" "$ST/git/data"
cp -al "$SRC/data" "$ST/mlops/data"
(cd "$ST/git" && git add data && git commit -qm data)
(cd "$ST/mlops" && "$MLOPS" -q init && "$MLOPS" -q add data && git add .mlops data.mlops .gitignore &&
    git commit -qm data)
for _ in 1 2; do
    "$MLOPS" -C "$ST/mlops" status >/dev/null
    git -C "$ST/git" status >/dev/null
done
sync
# Rounds of hyperfine, each running both commands: load on the shared machine changes within
# seconds, so the figures are medians over every round's runs rather than one block per command.
for ((R = 1; R <= STATUS_ROUNDS; R++)); do
    hf status-$R "$WORK/status-$R.json" 2 10 \
        --command-name mlops-status "$MLOPS -C $ST/mlops status" \
        --command-name git-status "git -C $ST/git status"
done
python3 - "$WORK/status.json" "$STATUS_ROUNDS" <<'PY3'
import json, statistics as st, sys
out, rounds = sys.argv[1], int(sys.argv[2])
parts = [json.load(open(out.replace("status.json", f"status-{r}.json"))) for r in range(1, rounds + 1)]
merged = []
for i, first in enumerate(parts[0]["results"]):
    rs = [p["results"][i] for p in parts]
    times = [t for r in rs for t in r["times"]]
    merged.append({"command": first["command"], "times": times, "median": st.median(times), "min": min(times),
                   "max": max(times), "mean": st.mean(times), "user": st.mean(r["user"] for r in rs),
                   "system": st.mean(r["system"] for r in rs)})
json.dump({"results": merged}, open(out, "w"))
others = [float(open(out.replace("status.json", f"status-{r}.json.other")).read()) for r in range(1, rounds + 1)]
open(out + ".other", "w").write(f"{st.mean(others):.2f}\n")
PY3

# ---------------------------------------------------------------- 4: small repository
say "small repository: mlops --version, mlops status"
SM=$SCR/small
new_git_repo "$SM"
(
    cd "$SM"
    "$MLOPS" -q init
    mkdir -p data
    printf 'id,label\n1,cat\n2,dog\n' >data/labels.csv
    printf 'hello\n' >data/readme.txt
    head -c 65536 /dev/zero | tr '\0' 'x' >model.bin
    "$MLOPS" -q add data model.bin
    git add .mlops data.mlops model.bin.mlops .gitignore && git commit -qm small
    "$MLOPS" status >/dev/null && "$MLOPS" status >/dev/null
)
sync
(cd "$SM" && hf small "$WORK/small.json" 5 50 \
    --command-name mlops-version "$MLOPS --version" \
    --command-name mlops-status-small "$MLOPS status")

# ---------------------------------------------------------------- 5: LibTorch boundary
if ldd "$MLOPS" | grep -Eqi 'libtorch|libc10'; then TORCH=yes; else TORCH=no; fi
say "mlops links libtorch/libc10: $TORCH"
rm -rf "$SCR" "$TRASH"

# ---------------------------------------------------------------- report
END_NS=$(date +%s%N)
export B_SCALE=$SCALE B_NFILES=$NFILES B_DATA_BYTES=$DATA_BYTES B_BIG_MIB=$BIG_MIB B_FOLDERS=$FOLDERS \
    B_PER_FOLDER=$PER_FOLDER B_SEED=$SEED B_RUNS_FAST=$RUNS_FAST B_RUNS_SLOW=$RUNS_SLOW B_TORCH=$TORCH \
    B_DATE=$START_DATE B_TOTAL_S=$(((END_NS - START_NS) / 1000000000)) B_GEN=$GEN_SECS \
    B_NPROC=$(nproc) B_CPU="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')" \
    B_MEM="$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)" \
    B_FS="$(findmnt -no FSTYPE -T "$WORK" 2>/dev/null || stat -f -c %T "$WORK")" \
    B_KERNEL="$(uname -sr)" B_LOAD="$(cut -d' ' -f1-3 /proc/loadavg)" \
    B_V_MLOPS="$("$MLOPS" --version)" B_V_GIT="$(git --version)" B_V_LFS="$(git lfs version)" \
    B_V_ANNEX="$(git annex version --raw 2>/dev/null || git annex version | head -n1)" \
    B_QUIET=$QUIET B_QUIET_MAX=$QUIET_MAX B_V_HYPERFINE="$(hyperfine --version)" B_V_COREUTILS="$(sha256sum --version | head -n1)" \
    B_STATUS_ROUNDS=$STATUS_ROUNDS B_RES=$RES B_STATUS_JSON=$WORK/status.json B_SMALL_JSON=$WORK/small.json B_DOC=$DOC \
    B_WORK_REL="${WORK#"$ROOT"/}" B_COMMIT="$COMMIT"
python3 - <<'PY'
import json, os, re, statistics as st

E = os.environ
runs = {}
for line in open(E["B_RES"]):
    label, secs, rss, other = line.rstrip("\n").split("\t")
    runs.setdefault(label, []).append((float(secs), int(rss), float(other)))
hf, hf_other, hf_loads = {}, {}, []
for key in ("B_STATUS_JSON", "B_SMALL_JSON"):
    other = open(E[key] + ".other").read().strip()
    hf_loads.append(float(other))
    for r in json.load(open(E[key]))["results"]:
        hf[r["command"]] = r
        hf_other[r["command"]] = other

def med(label): return st.median(r[0] for r in runs[label])

def fmt_s(x):
    return f"{x * 1000:.1f} ms" if x < 1 else f"{x:.2f} s"

rows = []
def add_row(name, cmd, label):
    xs = [r[0] for r in runs[label]]
    rss = max(r[1] for r in runs[label])
    other = ", ".join(f"{r[2]:.2f}" for r in runs[label])
    rows.append((name, cmd, f"{len(xs)} (/usr/bin/time)", fmt_s(st.median(xs)),
                 f"{fmt_s(min(xs))} – {fmt_s(max(xs))}", f"{rss / 1024:.0f} MiB", other))
def hf_row(name, cmd, label):
    r = hf[label]
    rows.append((name, cmd, f"{len(r['times'])} (hyperfine)", fmt_s(r["median"]),
                 f"{fmt_s(r['min'])} – {fmt_s(r['max'])}", "—", f"≈ {hf_other[label]}"))

scale_txt = (f"{E['B_SCALE']}: {int(E['B_FOLDERS']) * int(E['B_PER_FOLDER']):,} files of 1–16 KiB "
             f"+ one {E['B_BIG_MIB']} MiB file")
add_row("floor (a): hash everything", "`find data -type f -print0 | xargs -0 -P\"$(nproc)\" sha256sum >/dev/null`", "floor-hash")
add_row("floor (b): durable copy", "`cp -r data COPY && sync`", "floor-copy")
add_row("**mlops add**", "`mlops add data`", "mlops-add")
add_row("git-lfs add", "`git add data` (lfs filter on `data/**`)", "git-lfs-add")
add_row("git-annex add", "`git annex add data`", "git-annex-add")
hf_row("**mlops status**, dataset, unchanged", "`mlops -C REPO status`", "mlops-status")
hf_row("git status, dataset committed to plain git", "`git -C REPO status`", "git-status")
hf_row("**mlops --version**", "`mlops --version`", "mlops-version")
hf_row("**mlops status**, small repo", "`mlops status`", "mlops-status-small")

floor = max(med("floor-hash"), med("floor-copy"))
m_add = med("mlops-add")
# git-lfs and git-annex run in the first rounds only (BENCH_RUNS_SLOW): compare them with mlops's
# runs of those same rounds, so a machine that slows down between rounds does not skew the ratio.
def paired(peer): return st.median(r[0] for r in runs["mlops-add"][:len(runs[peer])])
def verdict(ok): return "PASS" if ok else "**MISS**"
targets = [
    ("mlops add ≤ 1.25 × physical floor", f"{m_add / floor:.2f} × floor ({fmt_s(m_add)} vs {fmt_s(floor)})", verdict(m_add <= 1.25 * floor)),
    ("mlops add ≥ 5 × faster than git-lfs", f"{med('git-lfs-add') / paired('git-lfs-add'):.1f} × faster (same rounds: {fmt_s(paired('git-lfs-add'))} vs {fmt_s(med('git-lfs-add'))})", verdict(med("git-lfs-add") >= 5 * paired("git-lfs-add"))),
    ("mlops add ≥ 5 × faster than git-annex", f"{med('git-annex-add') / paired('git-annex-add'):.1f} × faster (same rounds: {fmt_s(paired('git-annex-add'))} vs {fmt_s(med('git-annex-add'))})", verdict(med("git-annex-add") >= 5 * paired("git-annex-add"))),
]
ms, gs = hf["mlops-status"]["median"], hf["git-status"]["median"]
targets.append(("mlops status (dataset, unchanged) no slower than git status",
                f"{ms / gs:.2f} × git status ({fmt_s(ms)} vs {fmt_s(gs)})", verdict(ms <= gs)))
for label, what in (("mlops-version", "mlops --version < 10 ms"), ("mlops-status-small", "mlops status (small repo) < 10 ms")):
    m = hf[label]["median"]
    targets.append((what, fmt_s(m), verdict(m < 0.010)))
targets.append(("mlops does not link LibTorch (`ldd` shows libtorch/libc10)", E["B_TORCH"], verdict(E["B_TORCH"] == "no")))

def table(head, body):
    out = ["| " + " | ".join(head) + " |", "|" + "|".join(" --- " for _ in head) + "|"]
    out += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in body]
    return "\n".join(out)

total = int(E["B_TOTAL_S"])
loads = [r[2] for rs in runs.values() for r in rs] + hf_loads
mean_load = sum(loads) / len(loads)
caveat = ""
if mean_load > 0.5:
    caveat = (f"- **Caveat — busy machine:** other processes kept on average {mean_load:.2f} of the {E['B_NPROC']} cores busy "
              "during the measurements (column *other load*), so every figure here is inflated and noisy, the "
              "absolute times most of all; ratios between contenders measured under similar load are the more "
              "telling. Re-run on a quiet machine for reference figures.\n")
sec = f"""<!-- bench:core:start -->
## Core benchmark (issue 2)

Written by `bench/core.sh` (do not edit by hand: the script replaces this section).

- **Date:** {E['B_DATE']}, mlops built from `{E['B_COMMIT']}`; the whole run took {total // 60} min {total % 60} s (not counting the build of mlops; dataset generation: {E['B_GEN']}{'' if E['B_GEN'] == 'reused' else ' s'}).
- **Scale:** `BENCH_SCALE={E['B_SCALE']}` — {scale_txt}; {int(E['B_NFILES']):,} files, {int(E['B_DATA_BYTES']) / 2**30:.2f} GiB in nested folders `data/gNN/fNNN/sNNN.bin` + `data/big.bin`, random sizes and content from seed {E['B_SEED']}.
- **Runs:** add-type figures are the median of {E['B_RUNS_FAST']} run(s) for the floors and mlops and {E['B_RUNS_SLOW']} run(s) for git-lfs and git-annex, interleaved round by round (the ratios to git-lfs and git-annex use mlops's runs of the same rounds); status figures are hyperfine medians.
- **Machine:** {E['B_NPROC']} cores ({E['B_CPU']}), {E['B_MEM']} RAM, work folder on {E['B_FS']}, {E['B_KERNEL']}; shared with other developers (load average at the end: {E['B_LOAD']}).
- **Tools:** {E['B_V_MLOPS']} (Release build), {E['B_V_GIT']}, {E['B_V_LFS']}, git-annex {E['B_V_ANNEX']}, {E['B_V_HYPERFINE']}, {E['B_V_COREUTILS']}.
{caveat}
### Figures

{table(("figure", "command", "runs", "median", "min – max", "max RSS", "other load (cores)"), rows)}

### Targets

{table(("target", "measured", "verdict"), targets)}

### Method

- **Warm cache, not cold:** dropping the page cache is not possible reliably on this machine, so every
  contender runs with a warm cache instead: right before each timed run all dataset files are read once
  (`find data -type f -print0 | xargs -0 cat >/dev/null`). The figures are CPU/fsync bound, not disk-read bound.
- **Shared machine:** other developers build on the same {E['B_NPROC']} cores. Before each measurement the script
  waits (at most {E['B_QUIET_MAX']} s) until other processes use less than {E['B_QUIET']} cores, and the *other load* column
  gives, per run, the mean number of cores that other processes kept busy meanwhile (machine busy time from
  `/proc/stat` minus the measured command's own user+system time; for hyperfine rows, the whole hyperfine call).
  Runs with a high figure there were disturbed; compare medians, not single runs.
- **Clean between runs:** each run gets a fresh scratch folder and a fresh repository; the previous one is
  deleted and `sync` flushes dirty pages before the next run starts. mlops and git-lfs see the dataset as a
  hard-linked tree (`cp -al`, untimed); git-annex, which moves files into its store, gets a real copy (`cp -r`, untimed).
- **Repositories:** mlops: `git init && mlops init`, then `mlops add data` (it stores objects by copy — no
  reflinks on this filesystem — and syncs them before writing the pointer file). git-lfs: `git init`,
  `git lfs install --local`, `git lfs track 'data/**'`, then `git add data` through the lfs filter. git-annex:
  `git init && git annex init`, then `git annex add data` (default settings: SHA256E backend, one job). git-lfs and
  git-annex do not `sync` at the end; their figures are therefore, if anything, favourable to them.
- **Status:** the same dataset committed to a plain git repository (no lfs) and tracked by mlops in another;
  each status command runs twice before measuring (stat caches warm), then {E['B_STATUS_ROUNDS']} rounds of
  `hyperfine -N --warmup 2 --runs 10 --export-json … 'mlops -C REPO status' 'git -C REPO status'`; the figures
  are over all rounds' runs.
- **Small repository:** three small files tracked by mlops (`data/` with two files, `model.bin` of 64 KiB), measured
  from inside it with `hyperfine -N --warmup 5 --runs 50 --export-json … 'mlops --version' 'mlops status'`.
- **LibTorch boundary:** `ldd mlops | grep -Ei 'libtorch|libc10'` → {E['B_TORCH']}.
- **Reproduce:** `BENCH_SCALE={E['B_SCALE']} bench/core.sh` (knobs: `BENCH_RUNS`, `BENCH_RUNS_SLOW`, `BENCH_STATUS_ROUNDS`, `BENCH_WORK`,
  `BENCH_SEED`, `BENCH_QUIET`, `BENCH_QUIET_MAX`, `MLOPS`); raw data is left in `{E['B_WORK_REL']}/` (`results.tsv`, `status.json`, `small.json`, `logs/`).
<!-- bench:core:end -->"""

print()
print(table(("figure", "command", "runs", "median", "min – max", "max RSS", "other load (cores)"), rows))
print()
print(table(("target", "measured", "verdict"), targets))

doc = E["B_DOC"]
if doc != "none":
    text = open(doc).read() if os.path.exists(doc) else "# Benchmarks\n\nFigures recorded by the scripts in `bench/`. Tests never assert times; benchmarks only record.\n"
    pat = re.compile(r"<!-- bench:core:start -->.*?<!-- bench:core:end -->", re.S)
    if pat.search(text):
        text = pat.sub(lambda _: sec, text)
    else:
        text = text.rstrip("\n") + "\n\n" + sec + "\n"
    open(doc, "w").write(text)
    print(f"\nwrote the core section of {doc}")
PY
