#!/usr/bin/env bash
# mlops monitor: figures per window of a synthetic prediction log (inputs drawn from real data:
# Seattle weather, 2012 against summer 2015), alert rules firing once and resolving once over the
# windows and across runs, the command and webhook actions (a real HTTP receiver, down and then up:
# nothing lost), exit codes, malformed lines, and bad rules as one-line errors.
source "$(dirname "$0")/lib.sh"
: "${MLOPS_SOURCE_DIR:?set MLOPS_SOURCE_DIR to the source tree (ctest does)}"
DATA="$MLOPS_SOURCE_DIR/examples/data"
new_repo mon

# The reference: the 2012 rows' features. The log: 1-minute windows from 10:00 UTC.
#   w0 10:00 fast, 2012 inputs          w1 10:01 slow            w2 10:02 slow (slow fires: for 2)
#   w3 10:03 slow (no new event)        w4 10:04 fast, summer-2015 inputs (slow resolves, drift fires)
#   w5 10:05 20% errors (errors fires), 2015 inputs
# Outputs are wrong for 1 row in 10 (accuracy 0.9), from w4 on for 1 in 3 (accuracy fires).
# Two malformed lines (7 and 200) are skipped and named.
python3 - "$DATA/seattle_weather.csv" <<'EOF'
import csv, json, random, sys
rows = list(csv.DictReader(open(sys.argv[1])))
feats = ["precipitation", "temp_max", "temp_min", "wind"]
y2012 = [r for r in rows if r["date"].startswith("2012")]
summer = [r for r in rows if r["date"][:7] in ("2015/06", "2015/07", "2015/08")]
with open("reference.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(feats + ["weather"])
    for r in y2012:
        w.writerow([r[k] for k in feats] + [r["weather"]])
rnd = random.Random(7)
base = 1795946400  # 2026-11-29T10:00:00Z
lines = []
for win in range(6):
    pool = y2012 if win < 4 else summer
    for i in range(150):
        r = rnd.choice(pool)
        t = base + win * 60 + i * 0.39
        slow = win in (1, 2, 3)
        lat = rnd.uniform(60, 90) if slow else rnd.uniform(2, 9)
        status = 500 if (win == 5 and i % 5 == 0) else 200
        rec = {"timestamp": t, "model": "weather", "version": 1,
               "inputs": {k: float(r[k]) for k in feats}, "latency_ms": round(lat, 3), "status": status}
        if status == 200:
            wrong = i % 3 == 0 if win >= 4 else i % 10 == 0
            rec["output"] = "hail" if wrong else r["weather"]
            rec["label"] = r["weather"]
        else:
            rec["error"] = "model failed"
        lines.append(json.dumps(rec))
lines.insert(6, "{this is not json")
lines.insert(199, '{"status": 200}')
open("serve.log", "w").write("\n".join(lines) + "\n")
EOF
[ "$(wc -l < serve.log)" = 902 ] || fail "the generator wrote $(wc -l < serve.log) lines"

# A webhook receiver: a real HTTP server that appends each POST body to a file.
cat > receiver.py <<'EOF'
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        with open(sys.argv[2], "ab") as f:
            f.write(body + b"\n")
        self.send_response(200)
        self.end_headers()
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H)
s.serve_forever()
EOF
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
RECEIVER_PID=
start_receiver() {
    python3 receiver.py "$PORT" hooks.jsonl &
    RECEIVER_PID=$!
    for _ in $(seq 50); do
        python3 -c "import socket; socket.create_connection(('127.0.0.1', $PORT))" 2>/dev/null && return 0
        sleep 0.1
    done
    fail "the webhook receiver did not start"
}
stop_receiver() { [ -z "$RECEIVER_PID" ] || { kill "$RECEIVER_PID" 2>/dev/null; wait "$RECEIVER_PID" 2>/dev/null || true; RECEIVER_PID=; }; }
trap 'stop_receiver; cleanup' EXIT

cat > alerts.yaml <<EOF
rules:
  - name: slow
    expr: latency_p99_ms > 50
    for: 2
    severity: critical
    summary: p99 latency above 50 ms
    actions: [print, {command: "cat >> commands.jsonl"}, {webhook: "http://127.0.0.1:$PORT/hook"}]
  - name: errors
    expr: error_rate > 0.1 and requests >= 10
    severity: page
    actions: [print, {exit: 3}]
  - name: input-drift
    expr: dataset_drift == 1
    actions: print
  - name: accuracy
    expr: accuracy < 0.8
EOF

# --- figures per window --------------------------------------------------------------------
run mlops monitor serve.log --window 1m --reference reference.csv --target weather --now 2026-11-29T11:00:00Z --no-state --json
assert_eq "$RC" 0 "monitor without rules"
assert_eq "$(json_get 'j["records"]' <<<"$OUT")" 900 "records"
assert_eq "$(json_get 'j["malformed"]["count"]' <<<"$OUT")" 2 "malformed lines"
assert_eq "$(json_get '[(l["line"], l["reason"]) for l in j["malformed"]["lines"]]' <<<"$OUT")" \
    '[[7, "not JSON"], [200, "no timestamp"]]' "malformed lines named"
assert_eq "$(json_get '[w["start"] for w in j["windows"]]' <<<"$OUT")" \
    '["2026-11-29T10:00:00Z", "2026-11-29T10:01:00Z", "2026-11-29T10:02:00Z", "2026-11-29T10:03:00Z", "2026-11-29T10:04:00Z", "2026-11-29T10:05:00Z"]' "windows"
assert_eq "$(json_get '[w["figures"]["requests"] for w in j["windows"]]' <<<"$OUT")" '[150.0, 150.0, 150.0, 150.0, 150.0, 150.0]' "requests"
assert_eq "$(json_get 'j["windows"][5]["figures"]["error_rate"]' <<<"$OUT")" 0.2 "error rate"
assert_eq "$(json_get '[w["figures"]["dataset_drift"] for w in j["windows"]]' <<<"$OUT")" '[0.0, 0.0, 0.0, 0.0, 1.0, 1.0]' "input drift only on 2015 summer inputs"
assert_eq "$(json_get 'j["windows"][0]["figures"]["accuracy"]' <<<"$OUT")" 0.9 "accuracy from logged labels"
assert_eq "$(json_get '[w["figures"]["latency_p99_ms"] > 50 for w in j["windows"]]' <<<"$OUT")" '[false, true, true, true, false, false]' "p99 latency"
assert_eq "$(json_get '{"temp_max", "temp_min"} <= {c["column"] for c in j["windows"][4]["drift"] if c["drifted"]}' <<<"$OUT")" true "drifted columns named"
# The percentiles are numpy's.
py_p=$(/usr/bin/python3 -c '
import json, numpy as np
recs = [json.loads(l) for l in open("serve.log") if l.startswith("{\"timestamp")]
w = [r["latency_ms"] for r in recs if 1795946460 <= r["timestamp"] < 1795946520]
print(json.dumps([round(float(np.percentile(w, q)), 9) for q in (50, 95, 99)]))')
assert_eq "$(json_get '[round(j["windows"][1]["figures"][k], 9) for k in ("latency_p50_ms", "latency_p95_ms", "latency_p99_ms")]' <<<"$OUT")" "$py_p" "percentiles equal numpy's"
ok "figures per window: traffic, errors, numpy percentiles, accuracy, input drift on real data"

# Human output: a table, and the malformed lines named on stderr.
run mlops monitor serve.log --window 1m --now 2026-11-29T11:00:00Z --no-state
grep -q "serve.log:7: not JSON (line skipped)" <<<"$ERR" || fail "malformed line not named: $ERR"
grep -q "900 records in 6 windows of 1m (2 malformed lines skipped)" <<<"$OUT" || fail "summary: $OUT"
grep -q "2026-11-29T10:05:00Z" <<<"$OUT" || fail "table: $OUT"
ok "human output"

# --- rules firing and resolving ------------------------------------------------------------
start_receiver
run mlops monitor serve.log --window 1m --reference reference.csv --target weather --rules alerts.yaml --now 2026-11-29T11:00:00Z --json
assert_eq "$RC" 3 "the firing 'errors' rule exits 3"
assert_eq "$(json_get '[(e["rule"], e["state"], e["window"]["start"][11:16]) for e in j["alerts"]["events"]]' <<<"$OUT")" \
    '[["slow", "firing", "10:02"], ["slow", "resolved", "10:04"], ["input-drift", "firing", "10:04"], ["accuracy", "firing", "10:04"], ["errors", "firing", "10:05"]]' "events in order"
assert_eq "$(json_get 'j["alerts"]["firing"]' <<<"$OUT")" '["errors", "input-drift", "accuracy"]' "firing at the end"
assert_eq "$(json_get 'j["alerts"]["events"][0]["since"]' <<<"$OUT")" "2026-11-29T10:01:00Z" "since: the first window of the run"
assert_eq "$(wc -l < commands.jsonl)" 2 "the command ran once per transition of its rule"
assert_eq "$(python3 -c 'import json; print([json.loads(l)["state"] for l in open("commands.jsonl")])')" "['firing', 'resolved']" "command got the events on stdin"
assert_eq "$(wc -l < hooks.jsonl)" 2 "the webhook got both transitions"
assert_eq "$(python3 -c 'import json; e=json.loads(open("hooks.jsonl").readline()); print(e["rule"], e["severity"], e["values"]["latency_p99_ms"] > 50)')" "slow critical True" "webhook body"
ls .mlops/monitor/*.json >/dev/null || fail "no state file"
! git status --porcelain --untracked-files=all | grep -q "mlops/monitor" || fail "the alert state shows in git status"
ok "rules fire once and resolve once; command and webhook actions; exit action"

# A second run over the same log: nothing new fires, nothing is sent again.
run mlops monitor serve.log --window 1m --reference reference.csv --target weather --rules alerts.yaml --now 2026-11-29T11:00:00Z --json
assert_eq "$RC" 3 "still firing"
assert_eq "$(json_get 'len(j["alerts"]["events"])' <<<"$OUT")" 0 "no events on a second run"
assert_eq "$(wc -l < commands.jsonl)" 2 "command not run again"
assert_eq "$(wc -l < hooks.jsonl)" 2 "webhook not sent again"
# The log grows: a healthy window resolves the errors alert; exit 0.
python3 - <<'EOF'
import json
with open("serve.log", "a") as f:
    for i in range(120):
        f.write(json.dumps({"timestamp": 1795946400 + 360 + i * 0.4, "inputs": {"precipitation": 0, "temp_max": 10, "temp_min": 5, "wind": 3},
                            "output": "sun", "label": "sun", "latency_ms": 3, "status": 200}) + "\n")
EOF
run mlops monitor serve.log --window 1m --reference reference.csv --target weather --rules alerts.yaml --now 2026-11-29T11:00:00Z
assert_eq "$RC" 0 "resolved: exit 0 ($ERR)"
grep -q "RESOLVED errors (page)" <<<"$OUT" || fail "resolution not printed: $OUT"
grep -q "RESOLVED accuracy" <<<"$OUT" || fail "accuracy resolution not printed: $OUT"
ok "state across runs: a grown log fires nothing twice and resolves"

# --- nothing lost when the webhook is down -------------------------------------------------
stop_receiver
cat > hook.yaml <<EOF
- name: any-error
  expr: errors > 0
  actions: [{webhook: "http://127.0.0.1:$PORT/hook"}]
EOF
run mlops monitor serve.log --window 1m --rules hook.yaml --now 2026-11-29T11:00:00Z --json
assert_eq "$RC" 5 "a failed delivery exits 5"
assert_eq "$(json_get '[(e["state"], e["delivered"]) for e in j["alerts"]["events"]]' <<<"$OUT")" '[["firing", false], ["resolved", false]]' "not delivered"
run mlops monitor serve.log --window 1m --rules hook.yaml --now 2026-11-29T11:00:00Z
grep -q "will retry on the next run" <<<"$ERR" || fail "no retry warning: $ERR"
start_receiver
: > hooks.jsonl
run mlops monitor serve.log --window 1m --rules hook.yaml --now 2026-11-29T11:00:00Z --json
assert_eq "$RC" 0 "delivered on the next run"
assert_eq "$(python3 -c 'import json; print([json.loads(l)["state"] for l in open("hooks.jsonl")])')" "['firing', 'resolved']" "both events delivered late, in order"
run mlops monitor serve.log --window 1m --rules hook.yaml --now 2026-11-29T11:00:00Z --json
assert_eq "$(wc -l < hooks.jsonl)" 2 "delivered once"
stop_receiver
ok "a webhook that is down: exit 5, kept, delivered by the next run"

# --- open windows, stdin -------------------------------------------------------------------
run mlops monitor - --window 1m --rules alerts.yaml --no-state --now 2026-11-29T10:05:30Z --json < serve.log
assert_eq "$(json_get '[w["open"] for w in j["windows"]][-3:]' <<<"$OUT")" '[false, true, true]' "windows after --now are open"
assert_eq "$(json_get '"errors" in j["alerts"]["firing"]' <<<"$OUT")" false "an open window is not judged"
assert_eq "$(json_get 'j["malformed"]["lines"][0]["file"]' <<<"$OUT")" stdin "stdin named"
ok "open windows are not judged; - reads stdin"

# --- bad input -----------------------------------------------------------------------------
printf 'rules:\n  - name: a\n    expr: latency_p99 > 50\n' > bad.yaml
expect_code 2 "^mlops: error: bad.yaml:3:11: rule 'a': expr: unknown figure 'latency_p99' \(did you mean 'latency_p99_ms'\?\)$" -- mlops monitor serve.log --rules bad.yaml
printf 'rules:\n  - name: a\n    expr: error_rate >> 1\n' > bad.yaml
expect_code 2 "bad.yaml:3:23: rule 'a': expr: expected a figure or a number, not '>'" -- mlops monitor serve.log --rules bad.yaml
printf 'rules:\n  - name: a\n    expr: error_rate > 1\n    actions: [{email: x}]\n' > bad.yaml
expect_code 2 "bad.yaml:4:16: rule 'a': action: unknown action 'email'" -- mlops monitor serve.log --rules bad.yaml
expect_code 2 "missing.log: cannot read the log" -- mlops monitor missing.log
expect_code 2 "--window '1y': give a duration" -- mlops monitor serve.log --window 1y
expect_code 2 "--now 'noon': not an RFC 3339 time" -- mlops monitor serve.log --now noon
expect_code 2 "--prediction nope: reference.csv has no column 'nope'" -- mlops monitor serve.log --reference reference.csv --prediction nope
echo '{"version": 1, "rules": 5}' > broken-state.json
expect_code 2 "broken-state.json: not an alert state file" -- mlops monitor serve.log --rules alerts.yaml --state broken-state.json
[ "$(cat broken-state.json)" = '{"version": 1, "rules": 5}' ] || fail "a bad state file was overwritten"
printf 'garbage\n\n{"timestamp": "never"}\n' > junk.log
run mlops monitor junk.log --json
assert_eq "$RC" 0 "a log of bad lines is not fatal"
assert_eq "$(json_get '[j["records"], j["malformed"]["count"]]' <<<"$OUT")" '[0, 2]' "junk counted"
ok "bad rules, paths, options and state files: one-line errors naming them"

finish
