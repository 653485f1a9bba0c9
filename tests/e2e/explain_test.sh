#!/usr/bin/env bash
# mlops explain: permutation importance against scikit-learn's permutation_importance on the same
# model's predictions, integrated gradients exact on a linear model (each attribution equals the
# change of the prediction when that feature alone goes to the baseline), the completeness check on
# the breast-cancer MLP (holds at 50 steps, fails loudly at 3), the reports, and bad input.
source "$(dirname "$0")/lib.sh"
: "${MLOPS_SOURCE_DIR:?}"
EX="$MLOPS_SOURCE_DIR/examples"
PY=/usr/bin/python3 # Debian's, with python3-sklearn
require_torch
new_repo explain
python3 "$EX/ml/split.py" "$EX/data/breast_cancer.csv" data --test 0.25 --seed 1 --stratify target
write_spec model.yaml data/train.csv data/test.csv 20
mlops train model.yaml -o bc -q

# --- integrated gradients: completeness on the MLP ------------------------------------------
run mlops explain bc data/test.csv -o report.html --json
assert_eq "$RC" 0 "explain ($ERR)"
assert_eq "$(json_get '[j["integrated_gradients"][k] for k in ("rows_checked", "rows_failed", "steps", "integration", "baseline")]' <<<"$OUT")" \
    '[142, 0, 50, "gausslegendre", "zeros"]' "completeness holds on every row at 50 steps"
json_get '[abs(r["gap"]) < 0.05 for r in j["integrated_gradients"]["rows"]]' <<<"$OUT" | grep -qv false || fail "gaps"
assert_eq "$(json_get '[r["row"] for r in j["integrated_gradients"]["rows"]]' <<<"$OUT")" '[0, 1, 2]' "the first three rows shown"
assert_eq "$(json_get 'len(j["permutation"]["features"])' <<<"$OUT")" 30 "every feature ranked"
grep -q '<svg' report.html || fail "no chart in the report"
top=$(json_get 'j["permutation"]["features"][0]["feature"]' <<<"$OUT")
grep -q "$top" report.html || fail "the report does not name the top feature"
if render_in_chromium report.html; then
    grep -q 'id="permutation-table"' dom.html || fail "chromium: no permutation table"
    grep -q "$top" dom.html || fail "chromium: the top feature is not on the page"
    [ "$(grep -c '<svg' dom.html)" -ge 5 ] || fail "chromium: charts missing (2 rankings and 3 waterfalls)"
    ok "headless Chromium renders the report without console errors"
fi
run mlops explain bc data/test.csv --method integrated-gradients --steps 3 --integration riemann_trapezoid
assert_eq "$RC" 1 "too few steps fail loudly"
grep -Eq "^mlops: completeness check failed on [0-9]+ of 142 rows .*use more --steps$" <<<"$ERR" || fail "completeness message: $ERR"
run mlops explain bc data/test.csv --method integrated-gradients --rows 5,9 --target 1 --format md
assert_eq "$RC" 0 "markdown"
grep -q "^Row 5 (1): " <<<"$OUT" || fail "markdown rows: $OUT"
grep -q "| 1 | " <<<"$OUT" || fail "markdown table: $OUT"
ok "integrated gradients: completeness holds at 50 steps, fails at 3; HTML and Markdown reports"

# --- integrated gradients are exact on a linear model ----------------------------------------
cat > lin.yaml <<'YAML'
task: regression
data:
  train: data/train.csv
  test: data/test.csv
  target: mean area
model:
  type: linear
train:
  epochs: 5
  batch_size: 32
  lr: 0.01
YAML
mlops train lin.yaml -o lin -q
# Row 7 explained against row 3 as the baseline: attribution i = f(x) - f(x with feature i from row 3).
mlops explain lin data/test.csv --method integrated-gradients --baseline 3 --rows 7 --json > lin.json
$PY - <<'EOF'
import csv, json
rows = list(csv.reader(open("data/test.csv")))
head, x, b = rows[0], rows[8], rows[4]
feats = [h for h in head if h not in ("target", "mean area")]
out = [head]
for f in feats:
    r = list(x)
    r[head.index(f)] = b[head.index(f)]
    out.append(r)
out.append(x)
csv.writer(open("swapped.csv", "w", newline="")).writerows(out)
json.dump(feats, open("feats.json", "w"))
EOF
mlops predict lin swapped.csv -o swapped_pred.csv -q
$PY - <<'EOF' || fail "integrated gradients differ from w * (x - baseline) on the linear model"
import csv, json
pred = [float(r[0]) for r in list(csv.reader(open("swapped_pred.csv")))[1:]]
feats = json.load(open("feats.json"))
fx = pred[-1]
j = json.load(open("lin.json"))["integrated_gradients"]["rows"][0]
assert abs(j["value"] - fx) <= 1e-3 * max(1, abs(fx)), (j["value"], fx)
worst = 0
for f, p in zip(feats, pred):
    want = fx - p
    got = j["attributions"][f]
    worst = max(worst, abs(got - want) / max(1.0, abs(fx)))
assert worst < 1e-4, worst
print("linear: worst relative difference", worst)
EOF
ok "integrated gradients on a linear model equal the exact per-feature changes"

# --- permutation importance against scikit-learn ---------------------------------------------
# scikit-learn's permutation_importance over an estimator whose predict runs `mlops predict` on the
# same model: the same predictions, scikit-learn's own shuffles.
write_spec small.yaml data/train.csv data/test.csv 15
python3 - <<'EOF'
import csv
rows = list(csv.reader(open("data/train.csv")))
keep = ["mean radius", "mean texture", "worst concave points", "worst area", "target"]
idx = [rows[0].index(k) for k in keep]
for name in ("train", "test"):
    rows = list(csv.reader(open(f"data/{name}.csv")))
    csv.writer(open(f"data/small_{name}.csv", "w", newline="")).writerows([[r[i] for i in idx] for r in rows])
EOF
sed -i 's|data/train.csv|data/small_train.csv|; s|data/test.csv|data/small_test.csv|' small.yaml
mlops train small.yaml -o small -q
mlops explain small data/small_test.csv --method permutation --repeats 10 --json > perm.json
$PY - "$MLOPS" <<'EOF' || fail "permutation importance differs from scikit-learn's beyond the noise"
import csv, json, math, subprocess, sys, numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.inspection import permutation_importance
mlops = sys.argv[1]
rows = list(csv.reader(open("data/small_test.csv")))
head, body = rows[0], rows[1:]
feats = [h for h in head if h != "target"]
X = np.array([[float(r[head.index(f)]) for f in feats] for r in body])
y = np.array([r[head.index("target")] for r in body])
class Mlops(BaseEstimator, ClassifierMixin):
    def fit(self, X, y):
        self.classes_ = np.unique(y); return self
    def predict(self, X):
        with open("perm_in.csv", "w", newline="") as f:
            w = csv.writer(f); w.writerow(feats); w.writerows(X.tolist())
        subprocess.run([mlops, "predict", "small", "perm_in.csv", "-o", "perm_out.csv", "-q"], check=True, stderr=subprocess.DEVNULL)
        return np.array([r[0] for r in list(csv.reader(open("perm_out.csv")))[1:]])
est = Mlops().fit(X, y)
sk = permutation_importance(est, X, y, scoring="accuracy", n_repeats=10, random_state=0)
ours = {f["feature"]: f for f in json.load(open("perm.json"))["permutation"]["features"]}
for i, f in enumerate(feats):
    a, s = ours[f]["mean"], sk.importances_mean[i]
    noise = 3 * math.sqrt(ours[f]["std"] ** 2 / 10 + sk.importances_std[i] ** 2 / 10) + 0.01
    print(f"{f:24s} mlops {a:.4f} +- {ours[f]['std']:.4f}   sklearn {s:.4f} +- {sk.importances_std[i]:.4f}")
    assert abs(a - s) <= noise, (f, a, s, noise)
assert max(ours, key=lambda f: ours[f]["mean"]) == feats[int(np.argmax(sk.importances_mean))], "different top feature"
EOF
ok "permutation importance agrees with scikit-learn's permutation_importance within the noise"

# --- attached to a registry version: model show, lineage, push/fetch --------------------------------
mlops add bc -q
mlops model register bc bc -q
mlops model alias bc 1 production -q
mlops explain bc@production data/test.csv --method permutation --repeats 2 --attach bc:1 -q
mlops model show bc:1 | grep -Eq "^explained   .* on data/test.csv by .*: permutation: $top" || fail "model show: $(mlops model show bc:1)"
assert_eq "$(mlops model show bc:1 --json | json_get '[[e["method"], e["report"]["permutation"]["features"][0]["feature"]] for e in j["explanations"]][0]')" \
    "[\"permutation\", \"$top\"]" "model show --json carries the explanation"
mlops lineage bc:1 | grep -q "explained explanation of bc:1" || fail "lineage: $(mlops lineage bc:1)"
mlops lineage bc:1 --format dot | grep -q "shape=tab" || fail "lineage dot"
expect_code 2 "--attach bc:1: lin is not the model of bc version 1" -- mlops explain lin data/test.csv --method integrated-gradients --attach bc:1
expect_code 2 "--attach bc: name a version" -- mlops explain bc data/test.csv --attach bc
# It travels with the registry.
mlops remote add origin "$E2E_TMP/remote" -q
commit "models and data"
mlops push -q
cd "$E2E_TMP" && git clone -q explain clone && cd clone
mlops fetch bc@production -q
mlops model show bc:1 | grep -q "^explained   " || fail "the explanation did not travel: $(mlops model show bc:1)"
cd "$E2E_TMP/explain"
ok "--attach stores the explanation with the version: model show, lineage, push and fetch"

# --- bad input ---------------------------------------------------------------------------------
cut -d, -f1-5 data/test.csv > narrow.csv
expect_code 2 "narrow.csv: .*missing" -- mlops explain bc narrow.csv
head -1 data/test.csv > empty.csv
expect_code 2 "empty.csv: no data rows" -- mlops explain bc empty.csv
expect_code 2 "--rows 500: the data has 142 rows \(0-141\)" -- mlops explain bc data/test.csv --rows 1,500
expect_code 2 "--target 7: not a class of the model \(0, 1\)" -- mlops explain bc data/test.csv --target 7
expect_code 2 "--method 'shap': permutation, integrated-gradients or both" -- mlops explain bc data/test.csv --method shap
expect_code 2 "--metric r2: not a classification metric" -- mlops explain bc data/test.csv --metric r2
python3 -c 'import csv; r=list(csv.reader(open("data/test.csv"))); i=r[0].index("target"); csv.writer(open("nolabel.csv","w",newline="")).writerows([x[:i]+x[i+1:] for x in r])'
expect_code 2 "nolabel.csv: no target column 'target': permutation importance needs labelled data" -- mlops explain bc nolabel.csv --method permutation
run mlops explain bc nolabel.csv
assert_eq "$RC" 0 "without labels, both methods: integrated gradients only"
grep -q "permutation importance skipped" <<<"$ERR" || fail "skip not said: $ERR"
# A model no gradient flows through: integrated gradients refuse and suggest permutation; with the
# default (both methods) permutation importance still runs and a note says why IG did not.
cp -r bc flat
# (TorchScript compiles from the source file: a script file, not stdin.)
cat > mkflat.py <<'EOF'
import hashlib, json, sys, torch
class Flat(torch.nn.Module):
    def forward(self, x):
        return (torch.zeros(x.size(0), 2) + 0.5).detach()
d = sys.argv[1]
torch.jit.script(Flat()).save(f"{d}/model.pt")
m = json.load(open(f"{d}/manifest.json"))
data = open(f"{d}/model.pt", "rb").read()
m["files"]["model.pt"] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
json.dump(m, open(f"{d}/manifest.json", "w"), indent=2)
EOF
$PY mkflat.py flat
expect_code 2 "flat: the model is not differentiable: no gradient reaches its inputs; use --method permutation" -- \
    mlops explain flat data/test.csv --method integrated-gradients
run mlops explain flat data/test.csv --json
assert_eq "$RC" 0 "both methods on a model without gradients"
assert_eq "$(json_get '[j["integrated_gradients"] is None, len(j["permutation"]["features"]), "not differentiable" in j["notes"][0]]' <<<"$OUT")" \
    '[true, 30, true]' "permutation still runs, the note says why integrated gradients did not"
ok "bad input: one-line errors naming the columns, rows, classes and options"

finish
