#!/usr/bin/env bash
# End-to-end: mlops report site (docs/report-site.md) on a small real project: a pipeline run three
# times (one run failing), a registered model promoted through a gate, a drift report, a monitor with
# alert rules over a synthetic prediction log. The site is made twice and must be identical, is
# rendered in headless Chromium (DOM checked for the runs table, a chart and the lineage graph with
# the project's numbers; a screenshot of the overview kept as an artifact), has no network address,
# escapes `<script>` in a stage name, a param value and a metric name, and handles an empty project,
# missing objects and bad input with one-line errors.
source "$(dirname "$0")/lib.sh"
: "${MLOPS_SOURCE_DIR:?}"
DATA="$MLOPS_SOURCE_DIR/examples/data"
# Where the screenshot is kept: $MLOPS_TEST_ARTIFACTS, else test-artifacts/ in the build folder.
ARTIFACTS="${MLOPS_TEST_ARTIFACTS:-$(cd "$(dirname "$MLOPS")/../.." && pwd)/test-artifacts}/report_site"

# --- empty project: a page that says how to start --------------------------------------------------
new_repo empty
expect_code 0 "wrote site" -- mlops report site
grep -q "nothing to show yet" site/index.html || fail "the empty project's overview says how to start"
grep -q "mlops run" site/index.html || fail "the empty page names mlops run"
[ -f site/runs.html ] && [ -f site/lineage.html ] && [ -f site/health.html ] || fail "every page exists for an empty project"
ok "empty project: a helpful page, not an error"
# The --json summary (golden/report_site.json); page sizes change with the stylesheet, so bytes are masked.
mask_bytes() { jq -S -c '.bytes = "N" | .largest_page.bytes = "N"'; }
GOLDEN_FILTER=mask_bytes check_golden report_site mlops report site --json

# --- a small project ------------------------------------------------------------------------------------
new_repo proj
mkdir raw
head -200 "$DATA/seattle_weather.csv" > raw/weather.csv
mlops add raw -q --git-add
cat > params.yaml <<'YAML'
train:
  lr: 0.1
  note: "<script>alert('param')</script>"
YAML
cat > prepare.py <<'PY'
import os
os.makedirs("prepared", exist_ok=True)
rows = open("raw/weather.csv").read().splitlines()
open("prepared/train.csv", "w").write("\n".join(rows[:150]) + "\n")
open("prepared/test.csv", "w").write("\n".join(rows[:1] + rows[150:]) + "\n")
print("prepared", len(rows) - 1, "rows")
for i in range(2000):  # a long log: ~130 KB, truncated on its page
    print("progress line %d %s" % (i, "x" * 60))
PY
cat > train.py <<'PY'
import json, os, sys, yaml
p = yaml.safe_load(open("params.yaml"))["train"]
os.makedirs("models/m", exist_ok=True)
os.makedirs("metrics", exist_ok=True)
open("models/m/weights.txt", "w").write("lr=%s\n" % p["lr"])
acc = round(0.8 + p["lr"], 4)
json.dump({"accuracy": acc, "<script>alert('metric')</script>": 1.5}, open("metrics/train.json", "w"))
print("trained with lr", p["lr"], "accuracy", acc)
PY
cat > mlops.yaml <<'YAML'
stages:
  prepare:
    cmd: python3 prepare.py
    deps: [prepare.py, raw/weather.csv]
    outs: [prepared]
  train:
    cmd: python3 train.py
    deps: [train.py, prepared/train.csv]
    params: [train.lr, train.note]
    outs: [models/m]
    metrics: [metrics/train.json]
  "<script>alert('stage')</script>":
    cmd: echo checked
    deps: [metrics/train.json]
YAML
commit "pipeline"
first_commit=$(git rev-parse HEAD)
mlops run -q
sed -i 's/lr: 0.1/lr: 0.15/' params.yaml
commit "lr 0.15"
mlops run -q
# A run that fails: its record is kept and shown as failed.
sed -i 's/lr: 0.15/lr: oops/' params.yaml
commit "broken lr"
run mlops run -q
[ "$RC" = 7 ] || fail "the broken run exits 7 (got $RC: $ERR)"
sed -i 's/lr: oops/lr: 0.15/' params.yaml
commit "lr back"
mlops run -q # restored from the run cache: the outputs the failed run removed come back
runs=$(mlops runs list -n 0 --json | json_get 'len(j["runs"])')
[ "$runs" -ge 5 ] || fail "expected at least 5 runs, got $runs"
last_acc=$(json_get 'j["accuracy"]' < metrics/train.json)
assert_eq "$last_acc" 0.95 "accuracy of the lr 0.15 run"

# Registry: version 1 promoted through a gate.
mlops model register demo models/m -q
expect_code 0 "" -- mlops model promote demo 1 --to production --require "accuracy>=0.5"

# Drift: reference vs a shifted copy.
python3 - "$DATA/seattle_weather.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
feats = ["precipitation", "temp_max", "temp_min", "wind"]
with open("ref.csv", "w", newline="") as f:
    w = csv.writer(f); w.writerow(feats)
    for r in rows[:400]: w.writerow([r[k] for k in feats])
with open("cur.csv", "w", newline="") as f:
    w = csv.writer(f); w.writerow(feats)
    for r in rows[400:800]: w.writerow([float(r["precipitation"]), float(r["temp_max"]) + 8, r["temp_min"], r["wind"]])
PY
mlops drift ref.csv cur.csv -q --no-multivariate > /dev/null || true
[ -n "$(ls .mlops/drift/*.json)" ] || fail "mlops drift keeps its report for the site"

# Monitoring: a synthetic prediction log with a slow stretch that fires an alert.
python3 - <<'PY'
import json
base = 1795946400  # 2026-11-29T10:00:00Z
with open("serve.log", "w") as f:
    for win in range(4):
        for i in range(20):
            lat = 80.0 + i if win in (1, 2) else 5.0 + i / 10
            f.write(json.dumps({"timestamp": base + win * 60 + i, "model": "demo", "version": 1,
                                "inputs": {"x": 1.0}, "latency_ms": lat, "status": 500 if i == 0 and win == 3 else 200,
                                "output": 1}) + "\n")
PY
cat > alerts.yaml <<'YAML'
rules:
  - name: slow
    expr: latency_p99_ms > 50
    for: 1
    severity: critical
    summary: p99 latency above 50 ms
YAML
mlops monitor serve.log --rules alerts.yaml --window 1m --now 2026-11-29T10:03:30Z -q > /dev/null || true
ls .mlops/monitor/*.last.json > /dev/null || fail "mlops monitor keeps its windows for the site"
ok "a project with runs, a promoted model, a drift report and a monitor"

# --- the site: made twice, identical ----------------------------------------------------------------
mlops report site --json > site.json
assert_eq "$(json_get 'j["runs"]' < site.json)" "$runs" "--json runs"
assert_eq "$(json_get 'j["output"]' < site.json)" site "--json output"
pages=$(json_get 'j["pages"]' < site.json)
assert_eq "$pages" "$(find site -name '*.html' | wc -l | tr -d ' ')" "--json pages"
largest=$(json_get 'j["largest_page"]["bytes"]' < site.json)
[ "$largest" -lt 5000000 ] || fail "the largest page is $largest bytes"
cp -r site site.first
expect_code 0 "wrote site \($pages pages, $runs runs" -- mlops report site
diff -r site.first site > /dev/null || fail "the site differs between two runs: $(diff -r site.first site | head -5)"
ok "the site is the same bytes when made twice ($pages pages)"

# --- content checks in the files ------------------------------------------------------------------
! grep -rEl '(https?:)?//[A-Za-z0-9]' site > /dev/null || fail "a page names a network address: $(grep -rEo '(https?:)?//[A-Za-z0-9][^" ]*' site | head -3)"
for p in index runs metrics models lineage health; do
    [ -f "site/$p.html" ] || fail "site/$p.html"
done
[ "$(find site/runs -name '*.html' | wc -l | tr -d ' ')" = "$runs" ] || fail "one page per run"
grep -q "&lt;script&gt;alert(&#39;stage&#39;)&lt;/script&gt;\|&lt;script&gt;alert('stage')&lt;/script&gt;" site/runs.html || fail "the stage name is escaped"
grep -q "&lt;script&gt;alert(.*param.*)&lt;/script&gt;" site/runs.html || fail "the param value is escaped"
grep -q "&lt;script&gt;alert(.*metric.*)&lt;/script&gt;" site/metrics.html || fail "the metric name is escaped"
! grep -rq "<script>alert" site || fail "an unescaped <script> in the site"
grep -q "demo@production" site/index.html || fail "the overview names the production model"
grep -q "version 1" site/index.html || fail "the overview names its version"
grep -q "slow" site/index.html || fail "the overview lists the open alert"
grep -q "drift detected" site/index.html || fail "the overview has the latest drift verdict"
grep -q "accuracy&gt;=0.5" site/models.html || fail "the models page shows the gate of the promotion"
grep -q "failed" site/runs.html || fail "the failed run is in the table"
ok "pages: overview, escaping, models with gates, no network address"

# --- in a real browser -------------------------------------------------------------------------------
if render_in_chromium site/runs.html; then
    grep -q '<html lang="en" class="js">' dom.html || fail "the script ran"
    rows=$(grep -o '<tr id="run-' dom.html | wc -l | tr -d ' ')
    assert_eq "$rows" "$runs" "rows of the runs table in the browser"
    grep -q 'id="run-filter"' dom.html || fail "the filter form"
    [ "$(grep -o '<script' dom.html | wc -l | tr -d ' ')" = 1 ] || fail "only site.js is a script in the rendered runs page"
    grep -q "&lt;script&gt;alert" dom.html || fail "the injected stage name renders as text"
    # runs.html#compare=A,B: the two train runs side by side, the differing lr highlighted.
    train_runs=$(mlops runs list -n 0 --stage train --json | json_get '",".join(r["run_id"] for r in j["runs"] if r["status"] == "succeeded")')
    render_in_chromium "site/runs.html#compare=$train_runs"
    grep -q '<table class="compare">' dom.html || fail "the comparison table of picked runs"
    grep -Eq '<tr class="differs"><th scope="row">param train.lr' dom.html || fail "the differing lr is highlighted: $(grep -o '<table class="compare">.*' dom.html | head -c 600)"
    # runs.html#stage=train&status=failed: the filters, set from the link, leave the one failed train run.
    render_in_chromium "site/runs.html#stage=train&status=failed"
    shown=$(grep -o '<tr id="run-[^>]*>' dom.html | grep -vc 'hidden' || true)
    assert_eq "$shown" 1 "rows left by the stage and status filters"
    grep -q '1 of 6 runs on this page shown' dom.html || fail "the filter says how many rows it left"
    render_in_chromium "site/runs.html#min=1000"
    assert_eq "$(grep -o '<tr id="run-[^>]*>' dom.html | grep -vc 'hidden' || true)" 0 "rows of at least 1000 s"
    render_in_chromium site/metrics.html
    grep -q '<svg id="metric-' dom.html || fail "a metric chart"
    grep -q "<title>train = $last_acc — run " dom.html || fail "the chart's hover text holds the last accuracy ($last_acc)"
    render_in_chromium site/lineage.html
    grep -q 'id="lineage-graph"' dom.html || fail "the lineage graph"
    grep -q "demo@production" dom.html || fail "the lineage graph reaches the alias"
    grep -q "raw/weather.csv" dom.html || fail "the lineage graph starts at the raw data"
    grep -q 'href="runs/' dom.html || fail "run nodes link to their pages"
    render_in_chromium site/health.html
    grep -q "firing" dom.html || fail "the health page shows the alert that fired"
    grep -q 'id="latency-' dom.html || fail "the latency chart"
    render_in_chromium site/index.html
    mkdir -p "$ARTIFACTS"
    chromium --headless --no-sandbox --disable-gpu --user-data-dir="$E2E_TMP/chromium-shot" --window-size=1280,1000 \
        --screenshot="$ARTIFACTS/overview.png" "file://$PWD/site/index.html" > /dev/null 2>&1 || fail "screenshot"
    [ -s "$ARTIFACTS/overview.png" ] || fail "the screenshot is empty"
    echo "screenshot: $ARTIFACTS/overview.png"
    ok "rendered in Chromium: runs table ($rows rows), chart, lineage, health; screenshot kept"
fi

# --- a long log: its head and tail, and a link to the whole object ------------------------------------
prep_run=$(mlops runs list -n 0 --stage prepare --json | json_get 'j["runs"][0]["run_id"]')
page="site/runs/$prep_run.html"
grep -q "shown are its first and last 32 KiB" "$page" || fail "the long log is truncated"
grep -q "progress line 0 " "$page" && grep -q "progress line 1999 " "$page" || fail "the log's head and tail are shown"
! grep -q "progress line 1000 " "$page" || fail "the middle of the log is left out"
link=$(grep -o 'href="../../.mlops/objects/[0-9a-f/]*"' "$page" | head -1 | sed 's/href="//; s/"$//')
[ -n "$link" ] && [ -f "site/runs/$link" ] || fail "the link to the full log object resolves from the page ($link)"
ok "a long log: head and tail, with a link to the whole object"

# --- --since: only runs at that commit or later ----------------------------------------------------
mlops report site -o since-site --since HEAD~1 --json > since.json
since_runs=$(json_get 'j["runs"]' < since.json)
[ "$since_runs" -lt "$runs" ] && [ "$since_runs" -ge 1 ] || fail "--since HEAD~1 shows $since_runs of $runs runs"
ok "--since keeps the later runs ($since_runs of $runs)"

# --- missing objects: shown with the command that fetches them --------------------------------------
log_oid=$(mlops runs show "$(mlops runs list -n 1 --stage train --json | json_get 'j["runs"][0]["run_id"]')" --json | json_get 'j["log_oid"]')
train_run=$(mlops runs list -n 1 --stage train --json | json_get 'j["runs"][0]["run_id"]')
chmod u+w "$(object_path "$log_oid")" "$(dirname "$(object_path "$log_oid")")"
mv "$(object_path "$log_oid")" log.bak
mlops report site -q
page=$(ls site/runs/"$train_run"*.html)
grep -q "not in the local store" "$page" || fail "the missing log is named"
grep -q "mlops fetch" "$page" || fail "the page says how to fetch it"
mv log.bak "$(object_path "$log_oid")"
ok "missing objects are shown with mlops fetch / mlops pull"

# --- errors: one line, documented exit code, nothing half-written ------------------------------------
expect_code 2 "--since nope" -- mlops report site --since nope
expect_code 2 "does not exist" -- mlops report site -o no/such/folder/site
mkdir mine && echo keep > mine/notes.txt
expect_code 2 "not a site made by" -- mlops report site -o mine
assert_eq "$(cat mine/notes.txt)" keep "a folder that is not a site is left alone"
expect_code 2 "would replace the repository" -- mlops report site -o .
touch afile
expect_code 2 "not a folder" -- mlops report site -o afile
[ -z "$(ls -a | grep '\.tmp-')" ] || fail "a temporary folder was left: $(ls -a)"
cd "$E2E_TMP" && mkdir -p norepo && cd norepo
expect_code 2 "not an mlops repository|not inside" -- mlops report site
ok "bad input: --since, -o, not a repository"
finish
