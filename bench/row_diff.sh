#!/usr/bin/env bash
# Row diff benchmark (issue 11): `mlops diff --rows --key id` between two versions of a large CSV
# (BENCH_ROWS rows, default 1,000,000, about 250 MB; 1% of rows changed, 1% added, 1% removed)
# vs its peers in the same run: a pandas merge-based diff (bench/row_diff_peer.py), daff (the npm
# package, the standard tabular diff tool; on BENCH_DAFF_ROWS rows, default 100,000, because it
# holds both tables as objects in a JavaScript heap), and plain `diff` of the two files sorted with
# `sort` as a floor (no key, no cells: only which lines differ). Wall time and peak RSS from
# /usr/bin/time, medians of ROUNDS rounds. Benchmarks only record: nothing here fails on a figure.
#
# usage: bench/row_diff.sh [ROUNDS]   (default 3)
# Environment: BENCH_ROWS, BENCH_DAFF_ROWS, BENCH_DOC (default docs/benchmarks.md; none skips),
#              MLOPS (binary to measure; default: build Release into $BUILD, default build-bench)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
ROUNDS=${1:-3}
ROWS=${BENCH_ROWS:-1000000}
DROWS=${BENCH_DAFF_ROWS:-100000}
DOC=${BENCH_DOC:-$root/docs/benchmarks.md}
PY=${PYTHON:-/usr/bin/python3} # Debian's python3 has pandas
source bench/lib.sh
bench_build mlops
export MLOPS_PROGRESS=0 NO_COLOR=1
work="$root/bench/work/row-diff"
mkdir -p "$work"
if [ ! -x "$work/npm/node_modules/.bin/daff" ]; then
    npm install --silent --no-audit --no-fund --prefix "$work/npm" daff >/dev/null
fi
DAFF="$work/npm/node_modules/.bin/daff"

# --- data (deterministic, cached): v1 and v2 of a table, 1% changed, 1% added, 1% removed ----
gen() { # gen ROWS DIR
    [ -s "$2/new.csv" ] && return
    mkdir -p "$2"
    $PY - "$1" "$2" <<'PY'
import random, sys
n, out = int(sys.argv[1]), sys.argv[2]
random.seed(5)
cities = ["Berlin", "Lagos", "Lima", "Osaka", "Perth", "Quito", "Riga", "Seoul"]
with open(f"{out}/old.csv", "w") as a, open(f"{out}/new.csv", "w") as b:
    head = "id,name,city,signup,score,balance,segment,notes\n"
    a.write(head); b.write(head)
    for i in range(n):
        r = random.random()
        row = [str(i), f"user{i:08d}", random.choice(cities), f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}",
               f"{random.random():.6f}", f"{random.uniform(-1e4, 1e4):.2f}", random.choice("ABCDE"),
               ('"a note, with a comma, ' if i % 10 == 0 else "a plain note ") + "lorem ipsum dolor sit amet " * 5 + ('"' if i % 10 == 0 else "")]
        line = ",".join(row) + "\n"
        if r < 0.01:          # added in v2
            b.write(line); continue
        a.write(line)
        if r < 0.02:          # removed in v2
            continue
        if r < 0.03:          # changed in v2: two cells
            row[4] = f"{random.random():.6f}"; row[2] = "Changed"
            line = ",".join(row) + "\n"
        b.write(line)
PY
}
big="$work/$ROWS"
small="$work/$DROWS"
echo "generating data into $work ..."
gen "$ROWS" "$big"
gen "$DROWS" "$small"
size=$(du -m "$big/old.csv" | cut -f1)

# mlops reads the versions from a repository: v1 committed (tracked), v2 in the work tree.
setup_repo() { # setup_repo DIR
    local d=$1/repo
    [ -f "$d/data.csv.mlops" ] && { cp "$1/new.csv" "$d/data.csv"; return; }
    rm -rf "$d" && mkdir -p "$d" && cd "$d"
    git init -q -b main && "$MLOPS" init -q
    cp "$1/old.csv" data.csv && "$MLOPS" add -q data.csv
    git add data.csv.mlops .gitignore && git -c user.name=b -c user.email=b@b commit -qm v1
    cp "$1/new.csv" data.csv
    cd "$root"
}
setup_repo "$big"
setup_repo "$small"

median() { $PY -c 'import statistics,sys; print("%.2f" % statistics.median(float(x) for x in sys.argv[1:]))' "$@"; }
mib() { $PY -c "print(round($1 / 1024))"; }
measure() { # measure NAME CMD...: appends "seconds kib" to $work/NAME.tsv; stdout to $work/NAME.out
    local name=$1
    shift
    /usr/bin/time -f '%e %M' -o "$work/time.out" "$@" > "$work/$name.out"
    tail -n 1 "$work/time.out" >> "$work/$name.tsv"
}
sorted_diff() { # the floor: which lines differ, after sorting both files
    LC_ALL=C sort -S 25% "$1" > "$work/a.sorted" && LC_ALL=C sort -S 25% "$2" > "$work/b.sorted"
    diff "$work/a.sorted" "$work/b.sorted" | grep -c '^[<>]' || true
}
export -f sorted_diff
export work
for n in mlops mlops256 pandas floor mlops_small daff_small pandas_small; do : > "$work/$n.tsv"; done
cat "$big/old.csv" "$big/new.csv" "$big/repo/data.csv" > /dev/null # page cache warm
for r in $(seq "$ROUNDS"); do
    measure mlops "$MLOPS" -C "$big/repo" diff --rows data.csv --key id --json --memory 64MiB --limit 10
    measure mlops256 "$MLOPS" -C "$big/repo" diff --rows data.csv --key id --json --limit 10
    measure pandas "$PY" "$root/bench/row_diff_peer.py" "$big/old.csv" "$big/new.csv" id
    measure floor bash -c 'sorted_diff "$0" "$1"' "$big/old.csv" "$big/new.csv"
    measure mlops_small "$MLOPS" -C "$small/repo" diff --rows data.csv --key id --json --limit 10
    measure daff_small "$DAFF" diff --id id --output "$work/daff.csv" "$small/old.csv" "$small/new.csv"
    measure pandas_small "$PY" "$root/bench/row_diff_peer.py" "$small/old.csv" "$small/new.csv" id
    echo "round $r: mlops $(tail -n1 "$work/mlops.tsv") | mlops 256MiB $(tail -n1 "$work/mlops256.tsv") | pandas $(tail -n1 "$work/pandas.tsv") | floor $(tail -n1 "$work/floor.tsv") | small: mlops $(tail -n1 "$work/mlops_small.tsv") daff $(tail -n1 "$work/daff_small.tsv") pandas $(tail -n1 "$work/pandas_small.tsv") (s, KiB)"
done
t() { median $(cut -d' ' -f1 "$work/$1.tsv"); }
m() { mib "$($PY -c 'import statistics,sys; print(statistics.median(int(x) for x in sys.argv[1:]))' $(cut -d' ' -f2 "$work/$1.tsv"))"; }

# The answers agree (mlops vs pandas on both sizes; daff's row count on the small one).
agree=$($PY - "$work" <<'PY'
import csv, json, sys
w = sys.argv[1]
def mlops(name):
    j = json.load(open(f"{w}/{name}.out")); s = j["summary"]
    return {"added": s["added"], "removed": s["removed"], "changed": s["changed"]}
def pandas(name):
    j = json.load(open(f"{w}/{name}.out")); return {k: j[k] for k in ("added", "removed", "changed")}
big_m, big_p = mlops("mlops"), pandas("pandas")
small_m, small_p = mlops("mlops_small"), pandas("pandas_small")
# daff's diff table: the first column is the action: +++ added, --- removed, -> changed.
acts = [r[0] for r in csv.reader(open(f"{w}/daff.csv")) if r]
daff = {"added": acts.count("+++"), "removed": acts.count("---"), "changed": acts.count("->")}
print(f"large: mlops {big_m}, pandas {big_p}: {'same' if big_m == big_p else 'DIFFERENT'}; "
      f"small: mlops {small_m}, pandas {small_p}, daff {daff}: {'same' if small_m == small_p == daff else 'DIFFERENT'}")
PY
)
echo "$agree"

commit=$(git rev-parse --short HEAD)
dirty=$(git status --porcelain -- libmlops apps | grep -q . && echo " (with uncommitted changes)" || true)
load=$(uptime | sed 's/.*load average: //')
machine="$(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(. /etc/os-release && echo "$PRETTY_NAME")"
pdv=$($PY -c 'import pandas; print(pandas.__version__)')
daffv=$("$DAFF" version 2>/dev/null | head -1 || echo "?")
export BENCH_TEXT="Run by \`bench/row_diff.sh $ROUNDS\` on $(date -u +%Y-%m-%d), commit $commit$dirty; $machine.
Two versions of a CSV table, $ROWS rows x 8 columns (${size} MB each; 1% of rows changed in two
cells, 1% added, 1% removed; generated once into \`bench/work/\`, page cache warm). mlops reads the old
version from the store (tracked, committed) and the new one from the work tree:
\`mlops diff --rows data.csv --key id --json --limit 10\`. Peers in the same run: pandas $pdv
(\`bench/row_diff_peer.py\`: \`read_csv\` of both as text, outer merge on the key, shared columns
compared), daff $daffv (npm; \`daff diff --id id\`) on $DROWS rows only, since it holds both tables
in a JavaScript heap, and \`sort\` + \`diff\` of the two files as a floor (no key, no cells, only which
lines differ). Medians of $ROUNDS rounds of \`/usr/bin/time -f '%e %M'\`; load average at the end:
$load (the machine is shared with other builds: compare ratios from this one run).

| $ROWS rows | wall time | peak RSS |
|---|---|---|
| \`mlops diff --rows --key id --memory 64MiB\` (spills to bucket files) | $(t mlops) s | $(m mlops) MiB |
| \`mlops diff --rows --key id\` (default 256MiB budget) | $(t mlops256) s | $(m mlops256) MiB |
| pandas merge | $(t pandas) s | $(m pandas) MiB |
| \`sort\` + \`diff\` (floor) | $(t floor) s | $(m floor) MiB |

| $DROWS rows | wall time | peak RSS |
|---|---|---|
| \`mlops diff --rows --key id\` | $(t mlops_small) s | $(m mlops_small) MiB |
| daff | $(t daff_small) s | $(m daff_small) MiB |
| pandas merge | $(t pandas_small) s | $(m pandas_small) MiB |

mlops's time includes verifying the old version's object (its SHA-256, one more read of the file) before
reading it, as every read from the store does. Answers: $agree."
$PY "$root/bench/write_section.py" "$DOC" row_diff "Row diffs (bench/row_diff.sh)"
