#!/usr/bin/env bash
# End-to-end: mlops train / evaluate / predict (docs/training.md) on a small slice of real data:
# reproducibility, metrics against an independent computation, bad input, and a pipeline stage.
source "$(dirname "$0")/lib.sh"
: "${MLOPS_SOURCE_DIR:?}"
EX="$MLOPS_SOURCE_DIR/examples"

require_torch

new_repo train
python3 "$EX/ml/split.py" "$EX/data/breast_cancer.csv" data --test 0.25 --seed 1 --stratify target
write_spec model.yaml data/train.csv data/test.csv 4

# --- Reproducibility: same spec, data, seed and threads -> identical bundle -------------------
mlops train model.yaml -o m1 --json > t1.json
mlops train model.yaml -o m2 --json > t2.json
oid1=$(json_get 'j["oid"]' < t1.json)
oid2=$(json_get 'j["oid"]' < t2.json)
[ ${#oid1} = 64 ] || fail "train --json gave no oid: $(cat t1.json)"
assert_eq "$oid2" "$oid1" "bundle oid of a second training"
cmp -s m1/model.pt m2/model.pt || fail "model.pt differs between two identical trainings"
cmp -s m1/manifest.json m2/manifest.json || fail "manifest differs"
assert_eq "$(json_get 'j["epochs_run"]' < t1.json)" 4 "epochs run"
for f in model.pt manifest.json history.csv metrics.json; do [ -s "m1/$f" ] || fail "bundle lacks $f"; done
assert_eq "$(wc -l < m1/history.csv | tr -d ' ')" 5 "history rows (header + 4 epochs)"
assert_eq "$(json_get 'j["data"]["train"]["oid"]' < m1/manifest.json)" "$(sha256 data/train.csv)" "training data oid"
assert_eq "$(json_get 'j["files"]["model.pt"]["sha256"]' < m1/manifest.json)" "$(sha256 m1/model.pt)" "model hash in manifest"
assert_eq "$(sha256 m1/manifest.json)" "$oid1" "bundle oid is the manifest's SHA-256"
ls -a | grep -q '^\.tmp-' && fail "temporary folder left behind"
mlops train model.yaml -o m3 --set train.seed=7 --json > t3.json
[ "$(json_get 'j["oid"]' < t3.json)" != "$oid1" ] || fail "another seed gave the same model"
ok "train twice -> same oid and bytes; another seed -> another model"

# --- evaluate against an independent computation over predict's output ------------------------
mlops evaluate m1 data/test.csv --json > eval.json
mlops evaluate m1 data/test.csv -o eval-file.json > eval.txt
grep -q "Confusion matrix" eval.txt || fail "evaluate table: $(cat eval.txt)"
mlops predict m1 data/test.csv -o pred.csv
assert_eq "$(wc -l < pred.csv | tr -d ' ')" "$(wc -l < data/test.csv | tr -d ' ')" "one prediction per row"
assert_eq "$(head -1 pred.csv)" "prediction,prob_0,prob_1" "predictions header"
python3 - data/test.csv pred.csv eval.json eval-file.json <<'PY' || fail "evaluate disagrees with the independent computation"
import csv, json, math, sys
truth = [r["target"] for r in csv.DictReader(open(sys.argv[1]))]
pred = list(csv.DictReader(open(sys.argv[2])))
ev = json.load(open(sys.argv[3]))
assert json.load(open(sys.argv[4]))["accuracy"] == ev["accuracy"]
n = len(truth)
acc = sum(p["prediction"] == t for p, t in zip(pred, truth)) / n
p1 = [float(p["prob_1"]) for p in pred]
ll = -sum(math.log(min(max(float(p["prob_" + t]) / (float(p["prob_0"]) + float(p["prob_1"])), 1e-15), 1 - 1e-15)) for p, t in zip(pred, truth)) / n
pos = [s for s, t in zip(p1, truth) if t == "1"]; neg = [s for s, t in zip(p1, truth) if t == "0"]
auc = sum((a > b) + 0.5 * (a == b) for a in pos for b in neg) / (len(pos) * len(neg))
cm = [[sum(1 for p, t in zip(pred, truth) if t == a and p["prediction"] == b) for b in "01"] for a in "01"]
tp = cm[1][1]; prec1 = tp / (cm[0][1] + tp); rec1 = tp / (cm[1][0] + tp)
checks = {"accuracy": acc, "log_loss": ll, "roc_auc": auc}
for k, v in checks.items():
    assert abs(ev[k] - v) < 1e-6, (k, ev[k], v)
assert ev["confusion_matrix"]["matrix"] == cm, (ev["confusion_matrix"], cm)
assert abs(ev["per_class"]["1"]["precision"] - prec1) < 1e-9 and abs(ev["per_class"]["1"]["recall"] - rec1) < 1e-9
assert ev["n"] == n
mj = json.load(open("m1/metrics.json"))
assert abs(mj["test"]["accuracy"] - acc) < 1e-12, mj
print("independent: accuracy %.4f log_loss %.4f auc %.4f" % (acc, ll, auc))
PY
ok "evaluate = independent computation over predict's output (accuracy, log loss, AUC, confusion, P/R)"

# --- --json shapes: keys and types against tests/e2e/golden/{train,evaluate,predict}.json -------
# (values are floats that depend on the CPU's kernels, so numbers become "<number>", oids "<oid>")
json_shape() {
    python3 -c 'import json, re, sys
def f(v):
    if isinstance(v, bool) or v is None: return v
    if isinstance(v, (int, float)): return "<number>"
    if isinstance(v, str) and re.fullmatch("[0-9a-f]{64}", v): return "<oid>"
    if isinstance(v, list): return [f(x) for x in v]
    if isinstance(v, dict): return {k: f(x) for k, x in v.items()}
    return v
print(json.dumps(f(json.load(sys.stdin)), indent=2, sort_keys=True))'
}
GOLDEN_FILTER=json_shape check_golden train mlops train model.yaml -o m4 --json
GOLDEN_FILTER=json_shape check_golden evaluate mlops evaluate m1 data/test.csv --min accuracy=0.5 --json
GOLDEN_FILTER=json_shape check_golden predict mlops predict m1 data/test.csv -o p4.csv --json

# --- gates -----------------------------------------------------------------------------------
expect_code 0 "" -- mlops evaluate m1 data/test.csv --min accuracy=0.5 -q
expect_code 1 "gate failed: accuracy .* < 1.01" -- mlops evaluate m1 data/test.csv --min accuracy=1.01
expect_code 1 "gate failed: log_loss" -- mlops evaluate m1 data/test.csv --max log_loss=0.000001
expect_code 2 "did you mean 'accuracy'" -- mlops evaluate m1 data/test.csv --min acuracy=0.5
ok "--min/--max gates: exit 1 on a miss, 2 on an unknown metric"

# --- bad input: one line, exit 2 (3 for integrity), nothing written ----------------------------
no_bundle() { [ ! -e "$1" ] || fail "$1 was written by a failed command"; ls -a | grep -q '^\.tmp-' && fail "temporary files left" || true; }
sed '3s/^[^,]*,/abc,/' data/train.csv > bad.csv
expect_code 2 "bad.csv: line 3, column 'mean radius': 'abc' is not a number" -- mlops train model.yaml -o b1 --set data.train=bad.csv
no_bundle b1
expect_code 2 "no target column nope" -- mlops train model.yaml -o b2 --set data.target=nope
no_bundle b2
expect_code 2 "no feature column.* nope" -- mlops train model.yaml -o b3 --set 'data.features=[mean radius, nope]'
no_bundle b3
: > empty.csv
expect_code 2 "empty.csv: empty file" -- mlops train model.yaml -o b4 --set data.train=empty.csv
head -1 data/train.csv > header.csv
expect_code 2 "header.csv: no data rows" -- mlops train model.yaml -o b5 --set data.train=header.csv
sed '5s/^[^,]*,/,/' data/train.csv > holes.csv
expect_code 2 "holes.csv: line 5, column 'mean radius': missing value" -- mlops train model.yaml -o b6 --set data.train=holes.csv
no_bundle b6
expect_code 0 "" -- mlops train model.yaml -o b7 --set data.train=holes.csv --set data.missing=mean -q
sed 's/  lr:/  lrr:/' model.yaml > typo.yaml
expect_code 2 "typo.yaml:12:3: unknown key 'train.lrr' in train \(did you mean 'lr'\?\)" -- mlops train typo.yaml -o b8
no_bundle b8
expect_code 2 "--set 'train.lr': expected KEY=VALUE" -- mlops train model.yaml -o b9 --set train.lr
expect_code 2 "unknown key 'train.epoch' \(did you mean 'train.epochs'\?\)" -- mlops train model.yaml -o b9 --set train.epoch=3
expect_code 2 "'many' is not an integer" -- mlops train model.yaml -o b9 --set train.epochs=many
no_bundle b9
cut -d, -f2- data/test.csv > fewer.csv
expect_code 2 "fewer.csv: columns do not match the model's signature: missing mean radius" -- mlops predict m1 fewer.csv -o p2.csv
no_bundle p2.csv
cut -d, -f1-30 data/test.csv > notarget.csv
expect_code 2 "notarget.csv: no target column 'target'" -- mlops evaluate m1 notarget.csv
cp -r m1 tampered
echo "1,0,0,0,0" >> tampered/history.csv
expect_code 3 "tampered/history.csv: does not match the manifest" -- mlops evaluate tampered data/test.csv
expect_code 3 "tampered/history.csv: does not match the manifest" -- mlops predict tampered data/test.csv
cp m1/history.csv tampered/history.csv; rm tampered/model.pt
expect_code 3 "tampered/model.pt: missing from the bundle" -- mlops predict tampered data/test.csv
expect_code 2 "data: exists and is not a model bundle; not replacing it" -- mlops train model.yaml -o data
[ -s data/train.csv ] || fail "train -o data touched the data folder"
ok "bad input: non-numeric, missing columns, empty, header-only, missing values, typo, bad --set, signature, tampered bundle"

# --- categories and regression (synthetic) -----------------------------------------------------
python3 - <<'PY'
import random
r = random.Random(3)
with open("cat.csv", "w") as f:
    f.write("x,weather,y\n")
    for i in range(200):
        w = r.choice(["sun", "rain", "snow"]); x = r.uniform(-1, 1)
        f.write("%.4f,%s,%.4f\n" % (x, w, 3 * x + {"sun": 1, "rain": 0, "snow": -1}[w] + r.gauss(0, 0.05)))
with open("cat_new.csv", "w") as f:
    f.write("x,weather\n0.5,sun\n0.1,fog\n")
PY
cat > reg.yaml <<'YAML'
task: regression
data: {train: cat.csv, validation_split: 0.2, target: y, categorical: [weather]}
model: {type: linear}
train: {epochs: 60, lr: 0.05, batch_size: 16, early_stopping: {monitor: val_loss, patience: 5}}
YAML
mlops train reg.yaml -o reg --json > reg.json
rmse=$(json_get 'j["metrics"]["val"]["rmse"]' < reg.json)
python3 -c "import sys; sys.exit(0 if float('$rmse') < 0.3 else 1)" || fail "regression val rmse $rmse"
assert_eq "$(json_get '[f["name"] for f in j["signature"]["features"]]' < reg/manifest.json)" '["x", "weather"]' "signature"
assert_eq "$(json_get 'j["signature"]["features"][1]["categories"]' < reg/manifest.json)" '["rain", "snow", "sun"]' "categories"
expect_code 2 "cat_new.csv: line 3, column 'weather': category 'fog' was not seen in training" -- mlops predict reg cat_new.csv
mlops train reg.yaml -o reg2 --set data.unknown=ignore -q
mlops predict reg2 cat_new.csv > reg_pred.csv
assert_eq "$(wc -l < reg_pred.csv | tr -d ' ')" 3 "regression predictions"
python3 -c "import csv,sys; v=float(list(csv.DictReader(open('reg_pred.csv')))[0]['prediction']); sys.exit(0 if abs(v-2.5)<0.4 else 1)" || fail "regression prediction for x=0.5,sun: $(cat reg_pred.csv)"
mlops evaluate reg cat.csv --json | json_get 'j["r2"] > 0.9' | grep -q true || fail "regression r2"
printf 'x,weather\n,sun\n0.5,rain\n' > holes_new.csv
expect_code 2 "holes_new.csv: line 2, column 'x': missing value" -- mlops predict reg holes_new.csv
mlops train reg.yaml -o reg3 --set data.missing=drop -q
mlops predict reg3 holes_new.csv > drop_pred.csv
assert_eq "$(sed -n 2p drop_pred.csv)" "" "a row dropped for a missing value gets an empty prediction"
python3 -c "import sys; v=float(open('drop_pred.csv').read().split()[1]); sys.exit(0 if abs(v-1.5)<0.4 else 1)" || fail "prediction after a dropped row: $(cat drop_pred.csv)"
ok "categorical one-hot, unseen category error/ignore, regression with early stopping, missing: drop at predict"

# --- as a pipeline stage ---------------------------------------------------------------------
export PATH="$(dirname "$MLOPS"):$PATH"
cat > mlops.yaml <<'YAML'
stages:
  train:
    cmd: mlops train model.yaml -o models/bc --metrics metrics/train.json
    deps: [model.yaml, data]
    outs: [models/bc]
    metrics: [metrics/train.json]
YAML
mlops run -q
[ -s models/bc/model.pt ] || fail "the pipeline stage wrote no bundle"
assert_eq "$(sha256 models/bc/manifest.json)" "$oid1" "bundle made by the pipeline stage"
mlops metrics show --json | json_get 'j["revisions"][0]["metrics"]["metrics/train.json"]["test.accuracy"] > 0.5' | grep -q true ||
    fail "metrics show does not see the training metrics"
run mlops run
[ "$RC" = 0 ] || fail "second run failed: $ERR"
mlops train model.yaml -o m1 -q   # over an existing bundle: replaced
assert_eq "$(sha256 m1/manifest.json)" "$oid1" "retrained over an existing bundle"
ok "train as a pipeline stage (bundle as outs, metrics file as metrics)"

# --- predict streams in chunks; the manifest names the code commit -------------------------------
mlops predict m1 data/test.csv --chunk-rows 7 > chunked.csv
mlops predict m1 data/test.csv > whole.csv
cmp -s chunked.csv whole.csv || fail "predictions differ between chunks of 7 rows and one chunk"
git add model.yaml && git commit -qm "the spec"
mlops train model.yaml -o m5 -q
assert_eq "$(json_get 'j["code"]["commit"]' < m5/manifest.json)" "$(git rev-parse HEAD)" "code commit in the manifest"
cmp -s m1/model.pt m5/model.pt || fail "a commit changed model.pt"
ok "predict in chunks of 7 rows = one chunk; the manifest records the git commit"
finish
