#!/usr/bin/env bash
# End-to-end: mlops serve (docs/serving.md) on the breast cancer MLP: every input format against
# `mlops predict`, bad requests and their codes, /metrics counting them, the prediction log, reload
# on SIGHUP and with --follow-alias, graceful SIGTERM, a port in use; keygen, model sign/verify,
# tampering, signatures travelling through a remote; export to Docker and Kubernetes.
source "$(dirname "$0")/lib.sh"
: "${MLOPS_SOURCE_DIR:?}"
EX="$MLOPS_SOURCE_DIR/examples"

require_torch
command -v curl >/dev/null || fail "curl is needed (apt-get install curl)"
python3 -c 'import yaml' 2>/dev/null || fail "python3-yaml is needed (apt-get install python3-yaml)"

new_repo serve
python3 "$EX/ml/split.py" "$EX/data/breast_cancer.csv" data --test 0.25 --seed 1 --stratify target
write_spec model.yaml data/train.csv data/test.csv 3
mlops train model.yaml -o models/bc -q
mlops model register churn models/bc -q
mlops model alias churn 1 production -q
oid1=$(mlops model show churn:1 --json | json_get 'j["model"]["oid"]')

SERVERS=()
stop_servers() {
    for p in "${SERVERS[@]}"; do kill "$p" 2>/dev/null || true; done
    cleanup
}
trap stop_servers EXIT

# start_server NAME ARGS...: mlops serve ARGS on a free loopback port in the background; waits for
# /health; sets PID and URL. Its stderr goes to $E2E_TMP/NAME.err.
start_server() {
    local name=$1
    shift
    "$MLOPS" serve "$@" --port 0 --json > "$E2E_TMP/$name.out" 2> "$E2E_TMP/$name.err" &
    PID=$!
    SERVERS+=("$PID")
    for _ in $(seq 1 600); do
        if [ -s "$E2E_TMP/$name.out" ]; then
            URL=$(json_get 'j["url"]' < "$E2E_TMP/$name.out")
            curl -fsS "$URL/health" > /dev/null 2>&1 && return 0
        fi
        kill -0 "$PID" 2>/dev/null || fail "serve $* exited: $(cat "$E2E_TMP/$name.err")"
        sleep 0.1
    done
    fail "serve $* did not answer /health"
}
# post CONTENT_TYPE BODY_FILE: POSTs to /invocations; sets CODE and BODY.
post() {
    CODE=$(curl -sS -o "$E2E_TMP/body" -w '%{http_code}' -H "Content-Type: $1" --data-binary "@$2" "$URL/invocations")
    BODY=$(cat "$E2E_TMP/body")
}
# expect_post CODE PATTERN CONTENT_TYPE BODY: the status and a pattern in the JSON error.
expect_post() {
    printf '%s' "$4" > "$E2E_TMP/req"
    post "$3" "$E2E_TMP/req"
    [ "$CODE" = "$1" ] || fail "POST $4: status $CODE, expected $1: $BODY"
    [ -z "$2" ] || grep -Eq -- "$2" <<<"$BODY" || fail "POST $4: $BODY does not match /$2/"
}

# --- every input format gives what mlops predict gives ---------------------------------------------
mlops predict churn@production data/test.csv -o pred.csv
start_server main churn@production --log pred.log --timeout 2 --max-body 200000
python3 - data/test.csv <<'PY'
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1])))
features = [c for c in rows[0] if c != "target"]
num = lambda r: {c: float(r[c]) for c in features}
recs = [num(r) for r in rows]
json.dump({"dataframe_split": {"columns": features, "data": [[r[c] for c in features] for r in recs]}}, open("split.json", "w"))
json.dump({"dataframe_records": recs}, open("records.json", "w"))
json.dump({"instances": recs}, open("instances.json", "w"))
json.dump({"inputs": {c: [r[c] for r in recs] for c in features}}, open("inputs.json", "w"))
json.dump({"inputs": [[r[c] for c in features] for r in recs]}, open("lists.json", "w"))
json.dump({"dataframe_records": recs[:1]}, open("one.json", "w"))
PY
want=$(python3 -c 'import csv, json, sys; print(json.dumps([r["prediction"] for r in csv.DictReader(open("pred.csv"))]))')
for f in split records instances inputs lists; do
    post application/json "$f.json"
    assert_eq "$CODE" 200 "status of $f"
    assert_eq "$(json_get 'j["predictions"]' <<<"$BODY")" "$want" "predictions of $f"
done
post "text/csv; charset=utf-8" data/test.csv
assert_eq "$CODE" 200 "status of text/csv"
assert_eq "$(json_get 'j["predictions"]' <<<"$BODY")" "$want" "predictions of text/csv"
post application/json one.json
assert_eq "$(json_get 'j["predictions"]' <<<"$BODY")" "$(json_get 'j[:1]' <<<"$want")" "one row"
ok "dataframe_split, dataframe_records, instances, inputs (columns, lists) and text/csv = mlops predict"

# --- bad requests -----------------------------------------------------------------------------------
row='"mean radius": 14.0'
expect_post 400 '^\{"error":"malformed JSON' application/json '{"inputs": [ {'
expect_post 415 "unsupported content type 'text/plain'" text/plain 'mean radius\n14'
expect_post 400 'none of dataframe_split' application/json '{"rows": []}'
expect_post 400 'row 1: missing columns mean texture, mean perimeter' application/json "{\"inputs\": [{$row}]}"
python3 - <<'PY'
import json
r = json.load(open("records.json"))["dataframe_records"][0]
json.dump({"inputs": [dict(r, **{"mean radius": "big"})]}, open("type.json", "w"))
json.dump({"inputs": [dict(r, zip=1)]}, open("extra.json", "w"))
open("nan.json", "w").write(json.dumps({"inputs": [dict(r, **{"worst area": float("nan")})]}))  # bare NaN, as Python writes it
json.dump({"inputs": [r] * 2000}, open("big.json", "w"))
PY
post application/json type.json
assert_eq "$CODE" 400 "wrong type"
assert_eq "$(json_get 'j["error"]' <<<"$BODY")" "row 1, column 'mean radius': expected a number, got a string \"big\"" "wrong type message"
post application/json extra.json
assert_eq "$CODE" 400 "extra column"
grep -q "row 1: unknown column 'zip'" <<<"$BODY" || fail "extra column message: $BODY"
post application/json nan.json
assert_eq "$CODE" 400 "NaN"
grep -q "row 1, column 'worst area': missing value" <<<"$BODY" || fail "NaN message: $BODY"
post application/json big.json
assert_eq "$CODE" 413 "body over --max-body"
code=$(curl -sS -o /dev/null -w '%{http_code}' "$URL/invocations")
assert_eq "$code" 405 "GET /invocations"
code=$(curl -sS -o /dev/null -w '%{http_code}' "$URL/nothing")
assert_eq "$code" 404 "unknown path"
# A client that sends half a request and goes silent is dropped after --timeout; the server goes on.
python3 - "${URL#http://}" <<'PY' || fail "slow client not dropped"
import socket, sys
host, port = sys.argv[1].split(":")
s = socket.create_connection((host, int(port)))
s.sendall(b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"in")
s.settimeout(30)
data = s.recv(4096)
while data and not data.endswith(b"}"):
    more = s.recv(4096)
    if not more: break
    data += more
assert data.startswith(b"HTTP/1.1 400 ") and b"bad request" in data, data
PY
curl -fsS "$URL/health" > /dev/null || fail "server alive after bad requests"
ok "malformed JSON 400, content type 415, missing/extra/wrong-type/NaN 400 naming the field, 413, 405, 404, slow client dropped"

# --- /version and /metrics ---------------------------------------------------------------------------
curl -fsS "$URL/version" > version.json
assert_eq "$(json_get '[j["model"], j["version"], j["oid"]]' < version.json)" "[\"churn\", 1, \"$oid1\"]" "/version"
[ -n "$(json_get 'j["mlops"]' < version.json)" ] || fail "/version has the tool version"
curl -fsS "$URL/metrics" > metrics.txt
metric() { grep -v '^#' metrics.txt | grep -F "$1 " | awk '{print $NF}'; }
assert_eq "$(metric 'mlops_http_requests_total{path="/invocations",code="200"}')" 7 "200s counted"
assert_eq "$(metric 'mlops_http_requests_total{path="/invocations",code="400"}')" 7 "400s counted"
assert_eq "$(metric 'mlops_http_requests_total{path="/invocations",code="415"}')" 1 "415 counted"
assert_eq "$(metric 'mlops_http_requests_total{path="/invocations",code="413"}')" 1 "413 counted"
assert_eq "$(metric 'mlops_http_requests_total{path="/invocations",code="405"}')" 1 "405 counted"
assert_eq "$(metric 'mlops_http_requests_total{path="other",code="404"}')" 1 "404 counted"
assert_eq "$(metric 'mlops_http_request_duration_seconds_count{path="/invocations"}')" 15 "histogram count"
assert_eq "$(metric 'mlops_http_request_duration_seconds_bucket{path="/invocations",le="+Inf"}')" 15 "histogram +Inf bucket"
assert_eq "$(metric 'mlops_http_requests_in_flight')" 1 "in flight: the /metrics request itself"
grep -q "^mlops_model_info{name=\"churn\",version=\"1\",oid=\"$oid1\"} 1$" metrics.txt || fail "model info gauge: $(grep model_info metrics.txt)"
rows=$(($(wc -l < data/test.csv) - 1))
assert_eq "$(metric mlops_predictions_total)" $((rows * 6 + 1)) "rows predicted"
ok "/version; /metrics counts requests by code, latency histogram, in-flight, model info"

# --- the prediction log ------------------------------------------------------------------------------
python3 - pred.log "$oid1" "$rows" <<'PY' || fail "prediction log format"
import json, re, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
oid, rows = sys.argv[2], int(sys.argv[3])
assert len(lines) == 16, len(lines)  # 7 predictions; 6 rejected with 400 and 1 with 415 by the handler; the 413; the slow client (400)
for l in lines:
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", l["timestamp"]), l
    assert l["model"] == "churn" and l["version"] == 1 and l["oid"] == oid, l
    assert isinstance(l["latency_ms"], (int, float)) and isinstance(l["status"], int), l
    assert list(l)[:4] == ["timestamp", "model", "version", "oid"], list(l)
ok = [l for l in lines if l["status"] == 200]
assert len(ok) == 7 and all("error" not in l for l in ok)
batch = ok[0]
assert isinstance(batch["inputs"], list) and len(batch["inputs"]) == rows and isinstance(batch["output"], list), batch.keys()
assert batch["inputs"][0]["mean radius"] > 0 and batch["output"][0] in ("0", "1")
csvline = ok[5]
assert csvline["inputs"][0]["target"] in (0, 1), csvline["inputs"][0]  # the label travels along
single = ok[6]
assert isinstance(single["inputs"], dict) and single["output"] in ("0", "1"), single
bad = [l for l in lines if l["status"] != 200]
assert all("output" not in l and l["error"] for l in bad), bad
assert "inputs" not in bad[0] and bad[0]["error"].startswith("malformed JSON"), bad[0]
typ = [l for l in bad if "expected a number" in l["error"]][0]
assert typ["inputs"]["mean radius"] == "big", typ
assert [l["status"] for l in bad].count(413) == 1 and [l["status"] for l in bad].count(415) == 1
assert bad[-1] == dict(bad[-1], status=400, error="bad request") and "inputs" not in bad[-1], bad[-1]  # the slow client
print("log lines:", len(lines))
PY
mlops monitor pred.log --no-state --json > monitor.json
assert_eq "$(json_get '[j["lines"], j["records"], j["malformed"]["count"], sum(w["figures"]["requests"] for w in j["windows"]), sum(w["figures"]["errors"] for w in j["windows"])]' < monitor.json)" \
    "[16, 16, 0, 16.0, 9.0]" "mlops monitor reads the log (requests, errors)"
ok "prediction log: one JSON object per line, read back by mlops monitor"

# --- port in use ---------------------------------------------------------------------------------
port=${URL##*:}
expect_code 2 "cannot listen on 127.0.0.1:$port: Address already in use" -- mlops serve churn@production --port "$port"
ok "a port in use is a one-line error"

# --- reload on SIGHUP without dropping requests ------------------------------------------------------
mlops train model.yaml -o models/bc2 --set train.seed=7 -q
mlops model register churn models/bc2 -q
oid2=$(mlops model show churn:2 --json | json_get 'j["model"]["oid"]')
mlops model alias churn 2 production -q
python3 - "$URL" > load.out <<'PY' &
import json, sys, urllib.request
body = open("one.json", "rb").read()
codes = []
for _ in range(300):
    req = urllib.request.Request(sys.argv[1] + "/invocations", body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        codes.append(r.status)
print(json.dumps(sorted(set(codes))), len(codes))
PY
load=$!
sleep 0.3
kill -HUP "$PID"
wait "$load" || fail "requests failed during the reload"
assert_eq "$(cat load.out)" "[200] 300" "every request during the reload answered 200"
for _ in $(seq 1 100); do
    [ "$(curl -fsS "$URL/version" | json_get 'j["version"]')" = 2 ] && break
    sleep 0.1
done
assert_eq "$(curl -fsS "$URL/version" | json_get '[j["version"], j["oid"]]')" "[2, \"$oid2\"]" "version after SIGHUP"
grep -q 'mlops_model_reloads_total{result="ok"} 1' <(curl -fsS "$URL/metrics") || fail "reload counted"
grep -q "Reloaded (SIGHUP)" "$E2E_TMP/main.err" || fail "reload reported: $(cat "$E2E_TMP/main.err")"
ok "SIGHUP reloads the model (the alias moved to version 2) while requests keep being answered"

# --- SIGTERM finishes the request in flight --------------------------------------------------------
python3 - "${URL#http://}" "$PID" <<'PY' || fail "request in flight at SIGTERM"
import os, signal, socket, sys, time
host, port = sys.argv[1].split(":")
body = open("one.json", "rb").read()
s = socket.create_connection((host, int(port)))
s.sendall(b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body[:10])
time.sleep(0.3)  # the worker is reading the body
os.kill(int(sys.argv[2]), signal.SIGTERM)
time.sleep(0.3)
s.sendall(body[10:])
data = b""
while True:
    more = s.recv(65536)
    if not more: break
    data += more
    if b"predictions" in data and data.rstrip().endswith(b"}"): break
assert data.startswith(b"HTTP/1.1 200"), data
print("answered:", data.split(b"\r\n")[0])
PY
rc=0
wait "$PID" || rc=$?
assert_eq "$rc" 0 "exit status after SIGTERM"
grep -q "Shutting down" "$E2E_TMP/main.err" || fail "shutdown reported"
curl -s "$URL/health" > /dev/null && fail "still listening after SIGTERM"
ok "SIGTERM: the request in flight is answered, then the server exits 0"

# --- --follow-alias -----------------------------------------------------------------------------
start_server follow churn@production --follow-alias --poll 0.2
assert_eq "$(curl -fsS "$URL/version" | json_get 'j["version"]')" 2 "following production (version 2)"
mlops model alias churn 1 production -q
for _ in $(seq 1 150); do
    [ "$(curl -fsS "$URL/version" | json_get 'j["version"]')" = 1 ] && break
    sleep 0.1
done
assert_eq "$(curl -fsS "$URL/version" | json_get 'j["version"]')" 1 "version after the alias moved back"
kill -TERM "$PID"
wait "$PID" || fail "follow server exit status"
expect_code 2 "--follow-alias needs a model given as NAME@ALIAS" -- mlops serve churn:1 --follow-alias
ok "--follow-alias reloads when the alias moves"

# --- signing -----------------------------------------------------------------------------------------
mlops keygen -o release -q
mlops keygen -o other -q
assert_eq "$(stat -c %a release.pem)" 600 "private key mode"
grep -q "BEGIN PUBLIC KEY" release.pub.pem || fail "public key PEM"
expect_code 2 "release.pem: already exists" -- mlops keygen -o release
expect_code 1 "model churn:1 is not signed by the key in release.pub.pem" -- mlops model verify churn:1 --pubkey release.pub.pem
mlops model sign churn:1 --key release.pem --json > sign.json
assert_eq "$(json_get '[j["name"], j["version"], j["model_oid"], j["files"]]' < sign.json)" "[\"churn\", 1, \"$oid1\", 4]" "sign --json"
mlops model verify churn:1 --pubkey release.pub.pem --json > verify.json
assert_eq "$(json_get 'j["verified"]' < verify.json)" true "verify --json"
expect_code 1 "not signed by the key in other.pub.pem" -- mlops model verify churn:1 --pubkey other.pub.pem
expect_code 1 "model churn:2 is not signed" -- mlops model verify churn:2 --pubkey release.pub.pem
expect_code 3 "model churn:2 is not signed by the key in release.pub.pem .*refusing it" -- mlops serve churn:2 --require-signature release.pub.pem
expect_code 2 "release.pem: not a PEM public key" -- mlops model verify churn:1 --pubkey release.pem
# Tampering with any file of the bundle (here the one `serve` would load) fails verification.
dir=.mlops/tmp/models/$oid1
for f in model.pt manifest.json history.csv metrics.json; do
    chmod u+w "$dir/$f"
    cp "$dir/$f" saved
    printf ' ' >> "$dir/$f"
    expect_code 3 "$dir/$f: does not match the signed manifest" -- mlops model verify churn:1 --pubkey release.pub.pem
    cp saved "$dir/$f"
done
printf 'x' > "$dir/extra.bin"
expect_code 3 "extra.bin: not in the signed manifest" -- mlops model verify churn:1 --pubkey release.pub.pem
expect_code 3 "fails its signature check: .*extra.bin.*refusing it" -- mlops serve churn:1 --require-signature release.pub.pem
expect_code 3 "fails its signature check" -- mlops export churn:1 --format k8s -o k8s-bad --require-signature release.pub.pem
rm "$dir/extra.bin"
mlops model verify churn:1 --pubkey release.pub.pem -q
start_server signed churn:1 --require-signature release.pub.pem
kill -TERM "$PID"
wait "$PID" || true
# A plain folder: the signature is written next to it.
mlops model sign models/bc2 --key release.pem -q
[ -f models/bc2.sig.json ] || fail "folder signature file"
mlops model verify models/bc2 --pubkey release.pub.pem -q
printf ' ' >> models/bc2/metrics.json
expect_code 3 "models/bc2/metrics.json: does not match the signed manifest" -- mlops model verify models/bc2 --pubkey release.pub.pem
ok "keygen (0600), model sign/verify, wrong key, unsigned, tampering with any file; serve/export refuse"

# The signature travels with the registry through a remote.
mlops remote add -q team "$E2E_TMP/remote"
mlops push -q
new_repo clone
mlops remote add -q team "$E2E_TMP/remote"
mlops fetch -q
mlops fetch churn:1 -q
mlops model verify churn:1 --pubkey "$E2E_TMP/serve/release.pub.pem" -q
cd "$E2E_TMP/serve"
ok "a signature travels with push and fetch"

# --- export ------------------------------------------------------------------------------------------
mlops export churn@production --format docker -o image --require-signature release.pub.pem --json > export.json
assert_eq "$(json_get 'j["signed"]' < export.json)" true "export --json signed"
for f in Dockerfile model/model.pt model/manifest.json model.sig.json signing.pub.pem mlops/bin/mlops mlops/lib/libmlops_torch.so mlops/lib/libmlops_http.so; do
    [ -s "image/$f" ] || fail "export docker: no $f"
done
python3 - image/Dockerfile "$oid1" <<'PY' || fail "Dockerfile: $(cat image/Dockerfile)"
import json, re, sys
lines = [l for l in open(sys.argv[1]).read().replace("\\\n", " ").splitlines() if l and not l.startswith("#")]
ins = {}
for l in lines:
    k, _, rest = l.partition(" ")
    ins.setdefault(k, []).append(rest)
assert ins["FROM"] == ["debian:12-slim"], ins["FROM"]
assert "libtorch1.13" in ins["RUN"][0] and "apt-get install" in ins["RUN"][0]
assert "COPY model/ /opt/mlops/model/" in lines
assert "COPY model.sig.json /opt/mlops/model.sig.json" in lines
assert re.search(r"CMD curl -fsS http://127.0.0.1:8080/health", ins["HEALTHCHECK"][0]), ins["HEALTHCHECK"]
cmd = json.loads(ins["CMD"][0])
assert cmd[:3] == ["mlops", "serve", "/opt/mlops/model"] and "--require-signature" in cmd and cmd[cmd.index("--port") + 1] == "8080", cmd
assert sys.argv[2] in " ".join(ins["LABEL"])
PY
# The exported folder is what the container serves: the same files, the signature checks.
cp -r image/model image-model && cp image/model.sig.json image-model.sig.json
mlops model verify image-model --pubkey release.pub.pem -q
mlops export churn@production --format k8s -o k8s --replicas 3 --max-replicas 7 -q
python3 - k8s <<'PY' || fail "k8s manifests"
import sys, yaml
d = sys.argv[1]
dep = yaml.safe_load(open(d + "/deployment.yaml"))
svc = yaml.safe_load(open(d + "/service.yaml"))
hpa = yaml.safe_load(open(d + "/hpa.yaml"))
assert dep["kind"] == "Deployment" and dep["apiVersion"] == "apps/v1" and dep["spec"]["replicas"] == 3
name = dep["metadata"]["name"]
assert name == "mlops-churn", name
t = dep["spec"]["template"]
assert dep["spec"]["selector"]["matchLabels"] == {"app.kubernetes.io/name": name} and t["metadata"]["labels"]["app.kubernetes.io/name"] == name
ann = t["metadata"]["annotations"]
assert ann["prometheus.io/scrape"] == "true" and ann["prometheus.io/port"] == "8080" and ann["prometheus.io/path"] == "/metrics", ann
c = t["spec"]["containers"][0]
assert c["image"] == "mlops-churn:1" and c["args"][:3] == ["mlops", "serve", "/opt/mlops/model"], c
for p in ("readinessProbe", "livenessProbe"):
    assert c[p]["httpGet"] == {"path": "/health", "port": 8080}, c[p]
assert c["resources"]["requests"] == {"cpu": "500m", "memory": "512Mi"}, c["resources"]
assert c["ports"][0]["containerPort"] == 8080
assert svc["kind"] == "Service" and svc["spec"]["selector"] == {"app.kubernetes.io/name": name} and svc["spec"]["ports"][0]["targetPort"] == "http"
assert hpa["kind"] == "HorizontalPodAutoscaler" and hpa["apiVersion"] == "autoscaling/v2"
assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
assert hpa["spec"]["minReplicas"] == 3 and hpa["spec"]["maxReplicas"] == 7
assert hpa["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"] == 70
PY
expect_code 2 "--format 'zip': expected docker or k8s" -- mlops export churn@production --format zip -o x
expect_code 2 "image/model: already exists" -- mlops export churn@production --format docker -o image
ok "export: Dockerfile (Debian 12, packages, bundle, signature, HEALTHCHECK, serve) and k8s manifests parse back"

finish
