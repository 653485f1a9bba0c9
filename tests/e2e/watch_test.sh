#!/usr/bin/env bash
# mlops watch (continuous training): a data_change trigger that fires on changed data, retrains
# and promotes through a gate (and is refused by one), a drift trigger on real data that fires once
# per data pair and stays quiet on undrifted halves, a schedule, dry runs, the history, a failing
# stage, the watch loop stopped by SIGTERM, and bad trigger definitions as one-line errors.
source "$(dirname "$0")/lib.sh"
: "${MLOPS_SOURCE_DIR:?}"
EX="$MLOPS_SOURCE_DIR/examples"
require_torch

new_repo watch
python3 "$EX/ml/split.py" "$EX/data/breast_cancer.csv" data --test 0.25 --seed 1 --stratify target
mlops add data -q --git-add
write_spec model.yaml data/train.csv data/test.csv 2
mkdir -p live
cp data/test.csv live/calm.csv
# Drifted live data: the same rows with the size features doubled.
python3 - <<'EOF'
import csv
rows = list(csv.reader(open("data/test.csv")))
head, body = rows[0], rows[1:]
cols = [i for i, h in enumerate(head) if "radius" in h or "area" in h or "perimeter" in h or "texture" in h]
with open("live/drifted.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(head)
    for r in body:
        w.writerow([str(float(v) * 2.5) if i in cols else v for i, v in enumerate(r)])
EOF
cat > mlops.yaml <<'YAML'
stages:
  train:
    cmd: mlops train model.yaml -o models/bc --metrics metrics/train.json
    deps: [model.yaml, data/train.csv, data/test.csv]
    outs: [models/bc]
    metrics: [metrics/train.json]
  evaluate:
    cmd: mlops evaluate models/bc data/test.csv -o metrics/eval.json
    deps: [models/bc, data/test.csv]
    metrics: [metrics/eval.json]
  broken:
    cmd: echo oops && exit 3
    deps: [model.yaml]
triggers:
  - name: new-data
    on: data_change
    paths: [data]
    run: [train, evaluate]
    promote: {model: bc, path: models/bc, alias: production, gates: ["accuracy >= 0.8"]}
  - name: drifted
    on: drift
    reference: data/train.csv
    current: live/drifted.csv
    drift_share: 0.3
    run: [train]
  - name: calm
    on: drift
    reference: data/train.csv
    current: live/calm.csv
    run: [train]
  - name: nightly
    on: schedule
    every: 1h
    run: [evaluate]
  - name: doomed
    on: schedule
    every: 1d
    run: [broken]
YAML
mlops run -q train evaluate
commit "pipeline with triggers"

# --- data_change ---------------------------------------------------------------------------
run mlops watch --once --trigger new-data --json
assert_eq "$RC" 0 "nothing changed"
assert_eq "$(json_get 'j["triggers"][0]["fired"]' <<<"$OUT")" false "no fire on unchanged data"
# New data arrives: the last 40 training rows are replaced by fresh ones (the test rows' copies).
python3 - <<'EOF'
rows = open("data/train.csv").read().splitlines()
extra = open("data/test.csv").read().splitlines()[1:41]
open("data/train.csv", "w").write("\n".join(rows[:-40] + extra) + "\n")
EOF
mlops add data -q
run mlops watch --once --trigger new-data --dry-run
assert_eq "$RC" 0 "dry run"
grep -q "new-data: would run train, evaluate (data/train.csv changed" <<<"$OUT" || fail "dry run says what would run: $OUT"
[ ! -e .mlops/watch/history.jsonl ] || fail "a dry run recorded something"
run mlops watch --once --trigger new-data --json
assert_eq "$RC" 0 "the trigger ran ($ERR)"
assert_eq "$(json_get 'j["triggers"][0]["fired"]' <<<"$OUT")" true "fired on changed data"
assert_eq "$(json_get 'j["triggers"][0]["reason"].startswith("data/train.csv changed (")' <<<"$OUT")" true "reason names the data"
assert_eq "$(json_get '[(s["stage"], s["action"]) for s in j["triggers"][0]["stages"]]' <<<"$OUT")" '[["train", "ran"], ["evaluate", "ran"]]' "retrained and evaluated"
assert_eq "$(json_get '[j["triggers"][0]["promotion"][k] for k in ("registered", "moved", "version")]' <<<"$OUT")" '[true, true, 1]' "promoted"
train_run=$(json_get 'j["triggers"][0]["stages"][0]["run_id"]' <<<"$OUT")
mlops runs show "$train_run" --json | json_get 'j["stage"]' | grep -qx train || fail "the run is recorded"
assert_eq "$(mlops model show bc@production --json | json_get 'j["version"]')" 1 "production holds the retrained model"
run mlops watch --once --trigger new-data --json
assert_eq "$(json_get 'j["triggers"][0]["fired"]' <<<"$OUT")" false "the lock is up to date after the run"
ok "data_change: fires on changed data, retrains, promotes through a gate; quiet after"

# A gate that refuses: the next retrain must beat production by 0.5.
sed -i 's/gates: \["accuracy >= 0.8"\]/gates: ["accuracy >= current+0.5"]/' mlops.yaml
python3 -c 'rows = open("data/train.csv").read().splitlines(); open("data/train.csv", "w").write("\n".join(rows[:-10]) + "\n")'
mlops add data -q
run mlops watch --once --trigger new-data --json
assert_eq "$RC" 1 "a refused promotion exits 1 ($OUT)"
assert_eq "$(json_get '[j["triggers"][0]["promotion"][k] for k in ("refused", "moved", "version")]' <<<"$OUT")" '[true, false, 2]' "refused"
assert_eq "$(mlops model show bc@production --json | json_get 'j["version"]')" 1 "production unchanged"
ok "a gate refuses the promotion: exit 1, production unchanged"

# --- drift -----------------------------------------------------------------------------------
run mlops watch --once --trigger calm --trigger drifted --json
assert_eq "$RC" 0 "drift triggers ($ERR)"
assert_eq "$(json_get '[(c["trigger"], c["fired"]) for c in j["triggers"]]' <<<"$OUT")" '[["drifted", true], ["calm", false]]' "drifted fires, calm does not ($OUT)"
json_get 'j["triggers"][1]["reason"]' <<<"$OUT" | grep -q "^drift share 0 < 0.5" || fail "calm reason: $OUT"
assert_eq "$(json_get '[(s["stage"], s["action"]) for s in j["triggers"][0]["stages"]]' <<<"$OUT")" '[["train", "ran"]]' "drift forces the retrain"
run mlops watch --once --trigger drifted -v
grep -q "drifted: not fired (drift already acted on for this data)" <<<"$OUT" || fail "drift fired twice on the same data: $OUT"
ok "drift: fires once per data pair; real undrifted halves stay quiet"

# --- schedule, failure, history --------------------------------------------------------------
run mlops watch --once --trigger nightly --json
assert_eq "$(json_get 'j["triggers"][0]["fired"]' <<<"$OUT")" true "a schedule that never ran fires"
run mlops watch --once --trigger nightly --json
assert_eq "$(json_get 'j["triggers"][0]["fired"]' <<<"$OUT")" false "not again within the hour"
json_get 'j["triggers"][0]["reason"]' <<<"$OUT" | grep -Eq "^every 1h; last [0-9]+s ago$" || fail "schedule reason: $OUT"
run mlops watch --once --trigger doomed
assert_eq "$RC" 7 "a failed stage exits 7"
grep -q "trigger doomed: the run failed" <<<"$ERR" || fail "failure not reported: $ERR"
mlops watch --history --json > history.json
assert_eq "$(json_get '[(h["trigger"], h["ok"]) for h in j]' < history.json)" \
    '[["new-data", true], ["new-data", true], ["drifted", true], ["nightly", true], ["doomed", false]]' "every firing recorded"
assert_eq "$(json_get 'j[0]["stages"][0]["run_id"]' < history.json)" "$train_run" "with the runs it caused"
mlops watch --history | grep -q "new-data (data_change): data/train.csv changed" || fail "history text"
mlops watch --history | grep -q "bc@production -> version 1" || fail "history shows the promotion"
! git status --porcelain --untracked-files=all | grep -Eq "mlops/watch" || fail "the history shows in git status"
ok "schedule once per interval; a failing stage exits 7; the history records reasons and runs"

# --- the loop ----------------------------------------------------------------------------------
sed -i 's/gates: \["accuracy >= current+0.5"\]/gates: ["accuracy >= 0.5"]/' mlops.yaml
"$MLOPS" watch --interval 1s --trigger new-data > loop.out 2> loop.err &
pid=$!
sleep 1.5
python3 - <<'EOF'
rows = open("data/test.csv").read().splitlines()
open("data/test.csv", "w").write("\n".join(rows[:-5]) + "\n")
EOF
mlops add data -q
for _ in $(seq 600); do
    [ "$(grep -c '"new-data"' .mlops/watch/history.jsonl)" -ge 3 ] && break
    sleep 0.2
done
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
assert_eq "$rc" 0 "SIGTERM stops the watcher cleanly ($(cat loop.err))"
assert_eq "$(grep -c '"new-data"' .mlops/watch/history.jsonl)" 3 "the loop fired on the change"
grep -q "data/test.csv changed" loop.out || fail "loop output: $(cat loop.out)"
assert_eq "$(mlops model show bc@production --json | json_get 'j["version"]')" 3 "the loop promoted the new model (version 2 was refused)"
ok "watch --interval: fires on a change while running; SIGTERM stops it"

# --- bad input -------------------------------------------------------------------------------
cp mlops.yaml good.yaml
sed -i 's/run: \[evaluate\]/run: [evalute]/' mlops.yaml
expect_code 2 "^mlops: error: mlops.yaml:[0-9]+:[0-9]+: trigger 'nightly': run: no stage 'evalute' in mlops.yaml \(did you mean 'evaluate'\?\)$" -- mlops watch --once
cp good.yaml mlops.yaml
sed -i 's/on: schedule/on: scheduled/' mlops.yaml
expect_code 2 "trigger 'nightly': on: 'scheduled' is not data_change, drift or schedule \(did you mean 'schedule'\?\)" -- mlops watch --once
cp good.yaml mlops.yaml
sed -i 's/every: 1h/every: hourly/' mlops.yaml
expect_code 2 "mlops.yaml:[0-9]+:[0-9]+: trigger 'nightly': every 'hourly': give a duration" -- mlops watch --once
cp good.yaml mlops.yaml
sed -i 's|current: live/calm.csv|current: live/none.csv|' mlops.yaml
expect_code 2 "trigger 'calm' \(mlops.yaml:[0-9]+:[0-9]+\): live/none.csv: no such file" -- mlops watch --once --trigger calm
cp good.yaml mlops.yaml
expect_code 2 "--trigger nope: mlops.yaml has no such trigger" -- mlops watch --once --trigger nope
expect_code 2 "--interval '0': give a duration" -- mlops watch --interval 0
python3 -c 'import re; s=open("mlops.yaml").read(); open("mlops.yaml","w").write(s[:s.index("triggers:")])'
expect_code 2 "mlops.yaml: no triggers: to watch" -- mlops watch --once
cp good.yaml mlops.yaml
mlops run --dry-run -q >/dev/null || fail "mlops run reads a pipeline file with triggers"
ok "bad triggers: one-line errors with file, line and column"

finish
