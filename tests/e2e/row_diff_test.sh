#!/usr/bin/env bash
# mlops diff --rows: row-level diffs of a CSV file (tracked by mlops, or plain in git, or the work
# tree) across git commits, cross-checked against an independent pandas implementation on a real
# data set (Seattle weather, examples/data), the bucket spill path against the in-memory one, bad
# input, and memory bounded on ~200 MB files.
source "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3 # the Debian python3, which has pandas
DATA="$MLOPS_SOURCE_DIR/examples/data/seattle_weather.csv"

# The --json document, against tests/e2e/golden/row_diff.json (the example in docs/json.md).
new_repo golden
mkdir data
printf 'date,temp,weather,wind\n2012/01/01,12.8,drizzle,4.7\n2012/01/02,10.6,rain,4.5\n2012/01/03,11.7,rain,2.3\n2012/01/04,12.2,rain,4.7\n' > data/weather.csv
mlops add -q data/weather.csv && commit v1
printf 'date,temp,weather,humidity\n2012/01/01,12.8,drizzle,41\n2012/01/03,11.7,"sun, mostly",44\n2012/01/04,12.2,rain,39\n2012/01/05,8.9,rain,40\n' > data/weather.csv
mlops add -q data/weather.csv && commit v2
check_golden row_diff mlops diff --rows data/weather.csv HEAD~1 HEAD --key date --json

new_repo rows
mkdir data
cp "$DATA" data/weather.csv
mlops add -q data/weather.csv
commit "weather v1"

# v2: cells changed (including a value with a comma, a quote and a newline), rows removed and
# added, a column added and one removed, CRLF line ends.
$PY - <<'PY'
import csv
rows = list(csv.DictReader(open("data/weather.csv", newline="")))
out = []
for i, r in enumerate(rows):
    if i % 97 == 5:
        continue                              # removed
    if i % 50 == 3:
        r["weather"] = "sun, mostly"          # changed
    if i % 211 == 7:
        r["temp_max"] = str(float(r["temp_max"]) + 1.5)
        r["weather"] = 'said "fog"\nthen rain'
    r["humidity"] = str(40 + i % 50)
    del r["wind"]
    out.append(r)
for d in range(12):
    out.append({"date": f"2016/01/{d + 1:02d}", "precipitation": "0.0", "temp_max": "9.9", "temp_min": "1.1",
                "weather": "sun", "humidity": "55"})
cols = ["date", "precipitation", "temp_max", "temp_min", "weather", "humidity"]
with open("data/weather.csv", "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=cols, lineterminator="\r\n")
    w.writeheader()
    w.writerows(out)
PY
mlops add -q data/weather.csv
commit "weather v2"

# The independent implementation: pandas merges on the key (or counts whole rows).
cat > "$E2E_TMP/pandas_diff.py" <<'PY'
import json, subprocess, sys
import pandas as pd
old_rev, new_rev, key = sys.argv[1], sys.argv[2], sys.argv[3]
def version(rev):
    ptr = subprocess.run(["git", "show", f"{rev}:data/weather.csv.mlops"], capture_output=True, text=True, check=True).stdout
    oid = [l.split(": ")[1] for l in ptr.splitlines() if l.startswith("oid: ")][0]
    return pd.read_csv(f".mlops/objects/{oid[:2]}/{oid[2:]}", dtype=str, keep_default_na=False)
a, b = version(old_rev), version(new_rev)
shared = [c for c in a.columns if c in b.columns]
res = {"columns_added": [c for c in b.columns if c not in a.columns],
       "columns_removed": [c for c in a.columns if c not in b.columns]}
if key != "-":
    m = a[shared].merge(b[shared], on=key, how="outer", suffixes=("_old", "_new"), indicator=True)
    res["added"] = sorted(m.loc[m._merge == "right_only", key])
    res["removed"] = sorted(m.loc[m._merge == "left_only", key])
    both = m[m._merge == "both"]
    changed = {}
    for c in shared:
        if c == key: continue
        d = both[both[c + "_old"] != both[c + "_new"]]
        for k, o, n in zip(d[key], d[c + "_old"], d[c + "_new"]):
            changed.setdefault(k, []).append([c, o, n])
    res["changed"] = {k: sorted(v) for k, v in sorted(changed.items())}
else:
    ca = a[shared].value_counts(dropna=False)
    cb = b[shared].value_counts(dropna=False)
    j = pd.concat([ca.rename("a"), cb.rename("b")], axis=1).fillna(0)
    res["added"] = int((j.b - j.a).clip(lower=0).sum())
    res["removed"] = int((j.a - j.b).clip(lower=0).sum())
print(json.dumps(res, sort_keys=True))
PY
cat > "$E2E_TMP/mlops_view.py" <<'PY'
import json, sys
j = json.load(sys.stdin)
key = sys.argv[1]
res = {"columns_added": j["columns"]["added"], "columns_removed": j["columns"]["removed"]}
if key != "-":
    res["added"] = sorted(r["values"][key] for r in j["added"])
    res["removed"] = sorted(r["values"][key] for r in j["removed"])
    res["changed"] = {c["key"][key]: sorted([x["column"], x["old"], x["new"]] for x in c["cells"]) for c in j["changed"]}
    assert len(j["added"]) == j["summary"]["added"] and len(j["changed"]) == j["summary"]["changed"]
else:
    res["added"] = j["summary"]["added"]
    res["removed"] = j["summary"]["removed"]
print(json.dumps(res, sort_keys=True))
PY

mlops diff --rows data/weather.csv HEAD~1 HEAD --key date --json > keyed.json
want=$($PY "$E2E_TMP/pandas_diff.py" HEAD~1 HEAD date)
got=$($PY "$E2E_TMP/mlops_view.py" date < keyed.json)
assert_eq "$got" "$want" "keyed row diff vs pandas"
assert_eq "$(json_get 'j["summary"]["changed"] > 20 and j["summary"]["added"] == 12 and j["summary"]["removed"] == 16' < keyed.json)" "true" "keyed counts"
assert_eq "$(json_get '[c["cells"] for c in j["changed"] if c["key"]["date"] == "2012/01/08"][0]' < keyed.json)" \
    '[{"column": "temp_max", "new": "11.5", "old": "10.0"}, {"column": "weather", "new": "said \"fog\"\nthen rain", "old": "sun"}]' \
    "a changed value with a quote and a newline"
ok "keyed diff across commits equals pandas's merge"

mlops diff --rows data/weather.csv HEAD~1 HEAD --json > unkeyed.json
assert_eq "$($PY "$E2E_TMP/mlops_view.py" - < unkeyed.json)" "$($PY "$E2E_TMP/pandas_diff.py" HEAD~1 HEAD -)" "whole-row diff vs pandas"
ok "whole-row (multiset) diff equals pandas's value counts"

# A budget far below the file's size spills to bucket files: the same answer.
mlops diff --rows data/weather.csv HEAD~1 HEAD --key date --json --memory 64KiB > spilled.json
cmp keyed.json spilled.json || fail "the spilled keyed diff differs from the in-memory one"
mlops diff --rows data/weather.csv HEAD~1 HEAD --json --memory 64KiB > spilled2.json
cmp unkeyed.json spilled2.json || fail "the spilled whole-row diff differs from the in-memory one"
[ -z "$(ls .mlops/tmp 2>/dev/null)" ] || fail "bucket files left in .mlops/tmp: $(ls .mlops/tmp)"
ok "spilling to buckets gives the in-memory answer and cleans up"

# Revision conventions: none = HEAD vs work tree; one = REV vs work tree.
mlops diff --rows data/weather.csv --key date --exit-code >/dev/null || fail "HEAD vs an unchanged work tree should have no differences"
expect_code 1 "" -- mlops diff --rows data/weather.csv HEAD~1 --key date --exit-code
$PY - <<'PY'
lines = open("data/weather.csv", newline="").read().split("\r\n")
lines[1] = lines[1].replace("0.0", "0.5", 1)
open("data/weather.csv", "w", newline="").write("\r\n".join(lines))
PY
run mlops diff --rows data/weather.csv --key date
assert_eq "$RC" 0 "diff without --exit-code"
grep -q "HEAD -> work tree, key date" <<<"$OUT" || fail "header line: $OUT"
grep -q "rows: 1457 -> 1457: 0 added, 0 removed, 1 changed, 1456 unchanged" <<<"$OUT" || fail "summary: $OUT"
grep -Eq "date=2012/01/01 +precipitation +0.0 +0.5" <<<"$OUT" || fail "changed cell: $OUT"
run mlops diff --rows data/weather.csv HEAD~1 --key date --limit 3
grep -q "… and" <<<"$OUT" || fail "--limit 3 should say how many more: $OUT"
run mlops diff --rows data/weather.csv HEAD~1 --key date --format md
grep -q '^| 1461 → 1457 |' <<<"$OUT" || fail "markdown summary: $OUT"
grep -q '<details><summary>Changed rows' <<<"$OUT" || fail "markdown details: $OUT"
git checkout -q data/weather.csv.mlops && mlops checkout -q --force data/weather.csv
ok "revision conventions, text and Markdown output, --limit, --exit-code"

# A plain CSV committed to git (not tracked by mlops), and column changes alone.
printf 'id,name\n1,a\n2,b\n' > plain.csv
git add plain.csv && git commit -qm plain
printf 'id,name,extra\n2,b,x\n1,a,y\n' > plain.csv
run mlops diff --rows plain.csv --key id --json
assert_eq "$(json_get '[j["columns"], j["summary"]]' <<<"$OUT")" \
    '[{"added": ["extra"], "removed": [], "reordered": false}, {"added": 0, "changed": 0, "removed": 0, "unchanged": 2}]' "plain git file"
expect_code 1 "" -- mlops diff --rows plain.csv --key id --exit-code
ok "plain git files; an added column is a difference"

# A file created since HEAD is every row added; one deleted since is every row removed (as git
# shows a new or deleted file), tracked or plain.
printf 'id,v\n1,a\n2,b\n3,c\n' > fresh.csv
run mlops diff --rows fresh.csv --key id --json
assert_eq "$(json_get '[j["old"]["exists"], j["new"]["exists"], j["old"]["columns"], j["summary"]]' <<<"$OUT")" \
    '[false, true, ["id", "v"], {"added": 3, "changed": 0, "removed": 0, "unchanged": 0}]' "a new file"
expect_code 1 "new file in work tree" -- mlops diff --rows fresh.csv --exit-code
mlops add -q fresh.csv && git add fresh.csv.mlops .gitignore && git commit -qm fresh
rm fresh.csv
run mlops diff --rows fresh.csv --key id --json
assert_eq "$(json_get '[j["new"]["exists"], j["summary"]]' <<<"$OUT")" \
    '[false, {"added": 0, "changed": 0, "removed": 3, "unchanged": 0}]' "a deleted tracked file"
expect_code 0 "deleted in" -- mlops diff --rows fresh.csv
ok "a file created or deleted between the versions: every row added or removed"

# Bad input: exit 2, one line naming the file, line, column or key.
expect_code 2 "data/weather.csv@HEAD: no key column 'city' \(columns: date, " -- mlops diff --rows data/weather.csv --key city
printf 'id,name\n1,a\n1,b\n' > plain.csv
expect_code 2 "plain.csv:3: duplicate key id=1 \(first at line 2\)" -- mlops diff --rows plain.csv --key id
printf 'id,name\n1,"a\n' > plain.csv
expect_code 2 "plain.csv:2: quoted field is never closed" -- mlops diff --rows plain.csv --key id
printf 'id,name\n1,a,b\n' > plain.csv
expect_code 2 "plain.csv:2: 3 fields, the header has 2" -- mlops diff --rows plain.csv
head -c 2000 /bin/sh > plain.csv
expect_code 2 "plain.csv:[0-9]+: not a CSV file \(binary data" -- mlops diff --rows plain.csv
expect_code 2 "nope.csv@HEAD and nope.csv: the file is in neither version" -- mlops diff --rows nope.csv
expect_code 2 "unknown revision|not found" -- mlops diff --rows data/weather.csv v9
expect_code 2 "--format xml: one of text, md, json" -- mlops diff --rows data/weather.csv --format xml
expect_code 2 "--key applies to --rows only" -- mlops diff --key id
git checkout -q plain.csv
ok "bad input is one error line with exit 2"

# Bounded memory: two ~200 MB versions with 32 MiB of budget. Max RSS must stay far below the
# files' size (a memory bound, not a timing).
$PY - <<'PY'
import random
random.seed(11)
pad = "x" * 120
with open("big_old.csv", "w") as a, open("big_new.csv", "w") as b:
    a.write("id,group,value,text\n"); b.write("id,group,value,text\n")
    for i in range(1_300_000):
        row = f"{i},{i % 7},{i * 0.5},{pad}\n"
        r = i % 100
        if r != 1: a.write(row)                                   # 1% added (in new only)
        if r == 2: continue                                       # 1% removed
        if r == 3: row = f"{i},{i % 7},{i * 0.5 + 1},{pad}\n"     # 1% changed
        b.write(row)
PY
cp big_old.csv big.csv && mlops add -q big.csv && commit "big v1"
mv big_new.csv big.csv
/usr/bin/time -v "$MLOPS" diff --rows big.csv --key id --memory 32MiB --json --limit 5 > big.json 2> time.txt || fail "big diff failed: $(cat time.txt)"
rss_kb=$(sed -n 's/.*Maximum resident set size (kbytes): //p' time.txt)
size_kb=$(( $(stat -c %s big.csv) / 1024 ))
assert_eq "$(json_get '[j["summary"]["added"], j["summary"]["removed"], j["summary"]["changed"], j["truncated"]]' < big.json)" \
    '[13000, 13000, 13000, true]' "big diff counts"
[ "$rss_kb" -lt 120000 ] || fail "max RSS ${rss_kb} KiB for two ${size_kb} KiB files with --memory 32MiB"
echo "# big diff: max RSS ${rss_kb} KiB for ${size_kb} KiB files"
ok "two ~200 MB versions diff in bounded memory (max RSS ${rss_kb} KiB)"
finish
