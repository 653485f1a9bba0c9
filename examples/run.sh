#!/usr/bin/env bash
# The example the README's first command runs: version a real data set with mlops and git,
# change it, look at the change, travel back in history, and check the store.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
MLOPS="${MLOPS:-$here/../build/apps/mlops/mlops}"
mlops() { "$MLOPS" "$@"; }
work="$(mktemp -d /tmp/mlops-example-XXXXXX)"
trap 'chmod -R u+w "$work"; rm -rf "$work"' EXIT
cd "$work"
export GIT_AUTHOR_NAME="${GIT_AUTHOR_NAME:-Example}" GIT_AUTHOR_EMAIL="${GIT_AUTHOR_EMAIL:-example@example.com}"
export GIT_COMMITTER_NAME="$GIT_AUTHOR_NAME" GIT_COMMITTER_EMAIL="$GIT_AUTHOR_EMAIL"

if [ -t 1 ]; then step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }; else step() { printf '\n$ %s\n' "$*"; }; fi

git init -q -b main
step mlops init
mlops init

mkdir -p data/weather
cp "$here/data/iris.csv" data/
# One file per year of the Seattle weather data set.
for year in 2012 2013 2014 2015; do
  { head -n 1 "$here/data/seattle_weather.csv"; grep "^$year" "$here/data/seattle_weather.csv"; } > "data/weather/$year.csv"
done
step mlops add data --git-add
mlops add data --git-add
git add .mlops/config .mlops/.gitignore
git commit -qm "Track the data with mlops"
step mlops status
mlops status

step "append rows to 2015, add a 2016 file"
tail -n 5 "$here/data/seattle_weather.csv" >> data/weather/2015.csv
head -n 3 "$here/data/seattle_weather.csv" > data/weather/2016.csv
step mlops status
mlops status
step mlops diff
mlops diff
mlops add data -q
git commit -qam "More weather"

step mlops log data
mlops log data

step "git checkout HEAD~1 -- data.mlops && mlops checkout"
git checkout -q HEAD~1 -- data.mlops
mlops checkout
test ! -e data/weather/2016.csv
step "mlops diff HEAD~1 HEAD"
mlops diff HEAD~1 HEAD
git checkout -q HEAD -- data.mlops
mlops checkout -q
test -e data/weather/2016.csv

step mlops fsck
mlops fsck
step mlops gc --dry-run
mlops gc --dry-run

# Training (docs/training.md): a pipeline of prepare (a seeded split), train and evaluate stages on
# the breast cancer data. The stages run `mlops` through sh, so it goes on PATH.
export PATH="$(cd "$(dirname "$MLOPS")" && pwd):$PATH"
mkdir -p raw
cp "$here/data/breast_cancer.csv" "$here/data/digits.csv" raw/
mlops add raw --git-add -q
cp "$here/ml/split.py" "$here/ml/breast_cancer.yaml" "$here/ml/digits.yaml" .
cat > mlops.yaml <<'YAML'
stages:
  prepare:
    cmd: python3 split.py raw/breast_cancer.csv prepared/breast_cancer --test 0.25 --seed 42 --stratify target
    deps: [split.py, raw/breast_cancer.csv]
    outs: [prepared/breast_cancer]
  train:
    cmd: mlops train breast_cancer.yaml -o models/breast_cancer --metrics metrics/train.json
    deps: [breast_cancer.yaml, prepared/breast_cancer]
    outs: [models/breast_cancer]
    metrics: [metrics/train.json]
  evaluate:
    cmd: mlops evaluate models/breast_cancer prepared/breast_cancer/test.csv -o metrics/evaluate.json --min accuracy=0.93
    deps: [models/breast_cancer, prepared/breast_cancer/test.csv]
    metrics: [metrics/evaluate.json]
YAML
git add mlops.yaml split.py breast_cancer.yaml digits.yaml
git commit -qm "The pipeline" # runs record the commit they ran at (reproduce uses it)
step mlops run
mlops run
step "mlops run   # again: nothing changed, nothing runs"
mlops run
step mlops metrics show
mlops metrics show
step "mlops predict models/breast_cancer prepared/breast_cancer/test.csv -o predictions.csv"
mlops predict models/breast_cancer prepared/breast_cancer/test.csv -o predictions.csv
head -n 4 predictions.csv

# The model registry (docs/registry.md): register the pipeline's model, promote it through a gate,
# see where it came from, and rerun its training from the recorded commit and inputs, bit for bit.
git add mlops.lock metrics && git commit -qm "Train the breast cancer model"
step "mlops model register bc models/breast_cancer"
mlops model register bc models/breast_cancer
step 'mlops model promote bc 1 --to production --require "accuracy>=0.9"'
mlops model promote bc 1 --to production --require "accuracy>=0.9"
step "mlops lineage bc@production --upstream"
mlops lineage bc@production --upstream
train_run=$(mlops runs list --stage train --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["runs"][0]["run_id"])')
step "mlops reproduce $train_run --verify"
mlops reproduce "$train_run" --verify # exit 1 unless every output is identical

# A convolutional network on the 8x8 digits.
python3 split.py raw/digits.csv prepared/digits --test 0.25 --seed 42 --stratify target
step mlops train digits.yaml -o models/digits
mlops train digits.yaml -o models/digits
step mlops evaluate models/digits prepared/digits/test.csv --min accuracy=0.95
mlops evaluate models/digits prepared/digits/test.csv --min accuracy=0.95
echo
echo "example finished: every step worked"
