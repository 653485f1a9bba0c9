#!/usr/bin/env bash
# mlops drift: every statistic against scipy on fixed inputs (1e-9 relative), real data that drifts
# and real data that does not, inputs from git revisions and object ids, the report formats (the
# HTML page opened in headless Chromium), and every bad input of issue 7 as a one-line error.
source "$(dirname "$0")/lib.sh"
: "${MLOPS_SOURCE_DIR:?set MLOPS_SOURCE_DIR to the source tree (ctest does)}"
PY=/usr/bin/python3 # Debian's, with python3-scipy and python3-pandas (the python3 on PATH may lack them)
REFERENCE_PY="$MLOPS_SOURCE_DIR/bench/drift_reference.py"
DATA="$MLOPS_SOURCE_DIR/examples/data"
cd "$E2E_TMP"

# --- statistics against scipy ---------------------------------------------------------------
# Fixed inputs: numeric columns with ties and missing cells, few-valued, binary and text columns.
# Sizes pick each path: exact KS and chi-square/Z defaults (<= 1000 reference rows), Wasserstein and
# Jensen-Shannon (more), KS's asymptotic distribution (a file over 10000 rows), exact Cramer-von
# Mises (<= 20 rows).
cat > gen.py <<'EOF'
import sys
import numpy as np
import pandas as pd
def make(n, seed, shift):
    rng = np.random.default_rng(seed)
    d = pd.DataFrame({
        "cont": np.round(rng.normal(shift, 1, n), 3),
        "few": rng.integers(1, 5, n).astype(float),
        "binary": rng.integers(0, 2, n),
        "color": rng.choice(["red", "green", "blue", "cyan", "magenta"], n, p=[.3, .3, .2, .1, .1]),
        "yesno": rng.choice(["yes", "no"], n, p=[.5 + shift / 4, .5 - shift / 4]),
        "skew": np.round(rng.exponential(1 + shift, n), 4),
        "ints": rng.integers(0, 40, n),
    })
    d.loc[rng.choice(n, n // 20, replace=False), "cont"] = np.nan
    d.loc[rng.choice(n, n // 25, replace=False), "color"] = np.nan
    return d
nr, nc, seed, out = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
make(nr, seed, 0.0).to_csv(f"{out}_ref.csv", index=False)
make(nc, seed + 1, 0.15).to_csv(f"{out}_cur.csv", index=False)
EOF
methods=(default ks chisquare z wasserstein jensenshannon psi kl_div hellinger anderson cramer_von_mises)
for case in "300 400 1 small" "3000 2500 2 large" "800 12000 3 asymp" "15 18 4 tiny"; do
    set -- $case
    $PY gen.py "$1" "$2" "$3" "$4"
    for m in "${methods[@]}"; do
        opt=()
        [ "$m" = default ] || opt=(--method "$m")
        mlops --json drift "$4_ref.csv" "$4_cur.csv" "${opt[@]}" > "$4_$m.json" || fail "drift $4 $m exited non-zero"
        $PY "$REFERENCE_PY" "$4_ref.csv" "$4_cur.csv" "${opt[@]}" --compare "$4_$m.json" > cmp.txt ||
            fail "$4 $m: mlops differs from scipy: $(cat cmp.txt)"
    done
    ok "statistics equal scipy's to 1e-9 ($4: $1 vs $2 rows, default and all ${#methods[@]} tests)"
done
# The defaults Evidently would pick.
tests_of() { jq -r '[.columns[] | "\(.name)=\(.test)"] | sort | join(" ")' "$1"; }
[ "$(tests_of small_default.json)" = "binary=z color=chisquare cont=ks few=chisquare ints=ks skew=ks yesno=z" ] ||
    fail "small defaults: $(tests_of small_default.json)"
[ "$(tests_of large_default.json)" = "binary=jensenshannon color=jensenshannon cont=wasserstein few=jensenshannon ints=wasserstein skew=wasserstein yesno=jensenshannon" ] ||
    fail "large defaults: $(tests_of large_default.json)"
ok "default tests: KS/chi-square/Z up to 1000 reference rows, Wasserstein/Jensen-Shannon above"
# Missing cells are their own figure.
[ "$(jq '.columns[] | select(.name == "cont") | .reference.missing' small_default.json)" = 15 ] || fail "missing count of cont"
[ "$(jq '.columns[] | select(.name == "color") | .current.missing' small_default.json)" = 16 ] || fail "missing count of color"
ok "missing cells counted per column and file"
# Per-column method and threshold; the share.
mlops --json drift small_ref.csv small_cur.csv --method cont=anderson --threshold cont=0.2 --threshold 0.01 --drift-share 0.9 > opts.json
[ "$(jq -r '.columns[] | select(.name == "cont") | "\(.test) \(.threshold)"' opts.json)" = "anderson 0.2" ] || fail "per-column method/threshold"
[ "$(jq -r '.columns[] | select(.name == "few") | .threshold' opts.json)" = 0.01 ] || fail "global threshold"
[ "$(jq -r '.dataset_drift.threshold' opts.json)" = 0.9 ] || fail "--drift-share"
ok "--method COL=NAME, --threshold COL=X and X, --drift-share"

# --- real data ------------------------------------------------------------------------------
head -1 "$DATA/seattle_weather.csv" > s2012.csv && grep '^2012/' "$DATA/seattle_weather.csv" >> s2012.csv
head -1 "$DATA/seattle_weather.csv" > s2015.csv && grep '^2015/' "$DATA/seattle_weather.csv" >> s2015.csv
head -1 "$DATA/seattle_weather.csv" > winter.csv && grep -E '^[0-9]{4}/(12|01|02)/' "$DATA/seattle_weather.csv" >> winter.csv
head -1 "$DATA/seattle_weather.csv" > summer.csv && grep -E '^[0-9]{4}/(06|07|08)/' "$DATA/seattle_weather.csv" >> summer.csv
expect_code 1 'Drift detected' -- mlops drift s2012.csv s2015.csv --fail-on-drift
expect_code 1 'Drift detected' -- mlops drift winter.csv summer.csv --fail-on-drift
mlops --json drift winter.csv summer.csv > ws.json
[ "$(jq '.dataset_drift.drifted' ws.json)" = true ] || fail "winter vs summer: no dataset drift"
[ "$(jq -r '.columns[] | select(.name == "temp_max") | .drifted' ws.json)" = true ] || fail "winter vs summer: temp_max not drifted"
ok "seattle weather: 2012 vs 2015 and winter vs summer drift (exit 1 with --fail-on-drift)"
# Breast cancer halves, odd and even rows: the same population, no drift may be reported.
awk 'NR == 1 || NR % 2 == 0' "$DATA/breast_cancer.csv" > bc_even.csv
awk 'NR == 1 || NR % 2 == 1' "$DATA/breast_cancer.csv" > bc_odd.csv
expect_code 0 'No drift' -- mlops drift bc_even.csv bc_odd.csv --fail-on-drift
mlops --json drift bc_even.csv bc_odd.csv > bc.json
[ "$(jq '.dataset_drift.drifted' bc.json)" = false ] || fail "breast cancer halves: dataset drift"
[ "$(jq '.multivariate.drifted' bc.json)" = false ] || fail "breast cancer halves: multivariate drift"
[ "$(jq '.multivariate.computed' bc.json)" = true ] || fail "breast cancer: multivariate not computed"
ok "breast cancer halves: no dataset drift, no multivariate drift"
# Without the multivariate check the numbers are counted as they are read, not kept per row: the
# same columns, tests and figures.
for pair in "winter.csv summer.csv ws.json" "bc_even.csv bc_odd.csv bc.json"; do
    set -- $pair
    mlops --json drift "$1" "$2" --no-multivariate > counted.json
    cmp <(jq -S .columns "$3") <(jq -S .columns counted.json) > /dev/null || fail "$1 vs $2: --no-multivariate differs: $(diff <(jq -S .columns "$3") <(jq -S .columns counted.json) | head -5)"
done
ok "--no-multivariate (values counted as read) gives the same columns as the default (rows kept)"
# Prediction and accuracy drift from columns: a predictor that is right on the reference, wrong on
# half of the current rows.
$PY - <<'EOF'
import numpy as np, pandas as pd
rng = np.random.default_rng(7)
n = 600
x = rng.normal(0, 1, n)
label = np.where(x > 0, "pos", "neg")
ref = pd.DataFrame({"x": x, "label": label, "pred": label})
x2 = rng.normal(0, 1, n)
label2 = np.where(x2 > 0, "pos", "neg")
pred2 = np.where(rng.random(n) < 0.5, "pos", label2)
pd.DataFrame({"x": x2, "label": label2, "pred": pred2}).to_csv("pc_cur.csv", index=False)
ref.to_csv("pc_ref.csv", index=False)
EOF
expect_code 1 '' -- mlops drift pc_ref.csv pc_cur.csv --target label --prediction pred --fail-on-drift
mlops --json drift pc_ref.csv pc_cur.csv --target label --prediction pred > pc.json
[ "$(jq -r '.performance.metric' pc.json)" = accuracy ] || fail "performance metric"
[ "$(jq '.performance.reference' pc.json)" = 1 ] || fail "reference accuracy"
[ "$(jq '.performance.drifted' pc.json)" = true ] || fail "accuracy drop not flagged"
[ "$(jq '.prediction.drifted' pc.json)" = true ] || fail "prediction drift not flagged"
[ "$(jq -r '.columns[] | select(.name == "label") | .role' pc.json)" = target ] || fail "target role"
ok "prediction drift and accuracy drift from --prediction and --target"

# Multivariate drift that no single column shows: the same marginals, the correlation flipped.
$PY - <<'EOF'
import numpy as np, pandas as pd
rng = np.random.default_rng(11)
n = 5000
a = rng.normal(0, 1, n); b = a + rng.normal(0, 0.1, n)
pd.DataFrame({"a": a, "b": b, "c": rng.normal(0, 1, n)}).to_csv("mv_ref.csv", index=False)
a = rng.normal(0, 1, n); b = -a + rng.normal(0, 0.1, n)
pd.DataFrame({"a": a, "b": b, "c": rng.normal(0, 1, n)}).to_csv("mv_cur.csv", index=False)
EOF
mlops --json drift mv_ref.csv mv_cur.csv > mv.json
[ "$(jq '.dataset_drift.drifted_columns' mv.json)" = 0 ] || fail "multivariate case: a column drifted"
[ "$(jq '.multivariate.drifted' mv.json)" = true ] || fail "multivariate drift not caught"
[ "$(jq '.drift_detected' mv.json)" = true ] || fail "multivariate drift not in the verdict"
ok "multivariate drift (PCA reconstruction error) catches a flipped correlation"

# --- formats --------------------------------------------------------------------------------
mlops drift s2012.csv s2015.csv -o report.html > /dev/null
mlops drift s2012.csv s2015.csv -o report2.html > /dev/null
cmp -s report.html report2.html || fail "the HTML report is not deterministic"
grep -q '<svg' report.html || fail "no inline SVG"
grep -Eq '(src|href)="https?:' report.html && fail "the report fetches from the network"
grep -q '<script' report.html && fail "the report has a script"
mlops drift s2012.csv s2015.csv --format md > report.md
grep -q '^| temp_max | numeric | ks |' report.md || fail "markdown table: $(cat report.md)"
grep -q 'Drift report: \*\*drift detected\*\*' report.md || fail "markdown verdict"
mlops drift s2012.csv s2015.csv -o report.json > /dev/null
jq -e '.columns | length == 6' report.json > /dev/null || fail "-o report.json"
ok "HTML (deterministic, self-contained), Markdown and JSON reports"
if render_in_chromium report.html; then
    grep -q 'Drift detected' dom.html || fail "chromium: no verdict in the page"
    grep -q 'id="columns"' dom.html || fail "chromium: no column table"
    [ "$(grep -c '<svg' dom.html)" -ge 7 ] || fail "chromium: charts missing"
    ok "headless Chromium renders the report without console errors"
fi

# --- golden JSON ----------------------------------------------------------------------------
printf 'size,kind,flag\n1.5,a,0\n2.5,b,1\n3.5,a,0\n4.5,c,1\n5.5,a,0\n6.5,b,0\n7.5,,1\n8.5,a,0\n' > g_ref.csv
printf 'size,kind,flag\n5.5,b,1\n6.5,b,1\n7.5,c,1\n8.5,c,0\n9.5,b,1\nNA,a,1\n10.5,c,1\n11.5,b,1\n' > g_cur.csv
check_golden drift mlops --json drift g_ref.csv g_cur.csv

# --- git revisions and object ids -----------------------------------------------------------
new_repo revs
cp "$E2E_TMP/s2012.csv" data.csv
mlops add -q data.csv && commit "2012"
cp "$E2E_TMP/s2015.csv" data.csv
mlops add -q data.csv && commit "2015"
expect_code 1 'Drift detected' -- mlops drift data.csv@HEAD~1 data.csv@HEAD --fail-on-drift
expect_code 0 'No drift' -- mlops drift data.csv@HEAD data.csv --fail-on-drift
oid=$(oid_of data.csv.mlops)
expect_code 0 'No drift' -- mlops drift "${oid:0:12}" data.csv --fail-on-drift
expect_code 2 'data.csv@nosuchrev' -- mlops drift data.csv@nosuchrev data.csv
expect_code 2 "other.csv was not tracked at HEAD" -- mlops drift other.csv@HEAD data.csv
ok "inputs: tracked path at a revision, an object id prefix"
cd "$E2E_TMP"

# --- a model bundle's predictions (the torch plugin, loaded only for --model) ---------------
if mlops train /dev/null 2>&1 | grep -q "built without LibTorch"; then
    [ "${CI:-}" = true ] && fail "mlops was built without LibTorch"
    echo "skip - --model: mlops was built without LibTorch"
else
    cat > bc.yaml <<'YAML'
task: classification
data: {train: bc_even.csv, target: target}
model: {type: linear}
train: {epochs: 30, batch_size: 32, lr: 0.05}
YAML
    mlops train bc.yaml -o bc_model -q
    # Current: the odd rows with every label flipped, so the accuracy collapses.
    awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "target") t = i; print; next }
             { $t = 1 - $t; print }' OFS=, bc_odd.csv > bc_flipped.csv
    expect_code 1 'Performance \(model bc_model\): accuracy' -- mlops drift bc_even.csv bc_flipped.csv --model bc_model --target target --fail-on-drift
    mlops --json drift bc_even.csv bc_odd.csv --model bc_model --target target > model.json
    [ "$(jq -r '.prediction.column' model.json)" = prediction ] || fail "--model: no prediction column"
    [ "$(jq '.performance.drifted' model.json)" = false ] || fail "--model: accuracy drift on the halves"
    [ "$(jq '.performance.reference > 0.9' model.json)" = true ] || fail "--model: reference accuracy $(jq .performance.reference model.json)"
    expect_code 2 'bc@production|not an mlops repository' -- mlops drift bc_even.csv bc_odd.csv --model bc@production
    ok "--model: predictions compared, accuracy drift flagged on flipped labels"
fi

# --- bad input ------------------------------------------------------------------------------
printf 'a,b\n1,2\n3,4\n' > ab.csv
printf 'a,c\n1,2\n3,4\n' > ac.csv
expect_code 2 "different columns \(only in ab.csv: b; only in ac.csv: c\)" -- mlops drift ab.csv ac.csv
expect_code 0 '' -- mlops drift ab.csv ac.csv --allow-missing
mlops drift ab.csv ac.csv --allow-missing 2> warn.txt > /dev/null
grep -q "comparing the common columns" warn.txt || fail "--allow-missing: no warning"
printf 'a,b\n1,x\n3,y\n' > atext.csv
expect_code 2 "column 'b' is numeric in ab.csv and text in atext.csv" -- mlops drift ab.csv atext.csv
: > empty.csv
expect_code 2 "empty.csv: empty file" -- mlops drift empty.csv ab.csv
printf 'a,b\n' > header.csv
expect_code 2 "header.csv: no data rows" -- mlops drift ab.csv header.csv
expect_code 2 "nothere.csv: no such file" -- mlops drift nothere.csv ab.csv
expect_code 2 "unknown test 'kss'" -- mlops drift ab.csv ab.csv --method kss
expect_code 2 "ks needs a numeric column" -- mlops drift s2012.csv s2015.csv --method weather=ks
expect_code 2 "no column 'nope'" -- mlops drift ab.csv ab.csv --threshold nope=0.1
expect_code 2 "'x' is not a non-negative number" -- mlops drift ab.csv ab.csv --threshold x
expect_code 2 "--format pdf" -- mlops drift ab.csv ab.csv --format pdf
expect_code 2 "--target label: ab.csv has no column 'label'" -- mlops drift ab.csv ab.csv --target label
# Text after the first 65536 rows, which decide a column's type: the reader's error names the line.
{ echo a,b; seq 1 70000 | awk '{print $1 "," $1}'; echo 5,x; } > late.csv
expect_code 2 "late.csv: line 70002, column 'b': 'x' is not a number" -- mlops drift ab.csv late.csv
ok "bad input: one-line errors naming the file and column"
# All-constant and all-missing columns are reported as such, without a test (and no division by 0).
printf 'k,m,v\n1,,5\n1,,6\n1,,7\n' > const_ref.csv
printf 'k,m,v\n1,,8\n1,,9\n1,,7\n' > const_cur.csv
mlops --json drift const_ref.csv const_cur.csv > const.json
[ "$(jq -r '.columns[] | select(.name == "k") | .note' const.json)" = "constant: every value is 1 in both files" ] || fail "constant column"
[ "$(jq -r '.columns[] | select(.name == "m") | .note' const.json)" = "every value is missing in both files" ] || fail "all-missing column"
[ "$(jq -r '.columns[] | select(.name == "m") | .reference.missing' const.json)" = 3 ] || fail "all-missing count"
ok "constant and all-missing columns reported as such"

finish
