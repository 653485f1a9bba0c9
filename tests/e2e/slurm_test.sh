#!/usr/bin/env bash
# Pipelines on Slurm, against a real single-node cluster (slurmlib.sh: slurmctld + slurmd + munged
# configured in a temporary folder) with s3rver as the shared remote: a diamond DAG whose middle
# stages run at the same time, a failing stage whose dependents Slurm cancels, a stage over its
# time limit reported with Slurm's reason, the run cache across clones (through the remote),
# --detach with `runs wait`, `runs cancel`, Ctrl-C (asking on a terminal), foreach items as a job
# array, a node failure, and the bad input (no remote, bad resources,
# a request Slurm rejects, no Slurm).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/s3lib.sh"
source "$(dirname "$0")/slurmlib.sh"

slurm_start
s3_setup
s3_start "$E2E_TMP/s3data" mlops-test
trap 'slurm_stop; s3_stop_all; cleanup' EXIT
export MLOPS_SLURM_POLL_MS=300 MLOPS_REMOTE_RETRY_BASE_MS=5
COUNT="$E2E_TMP/executions.log" # every stage command appends its name: what really ran
export COUNT

# jobs_in_queue: how many jobs Slurm knows that are not finished.
jobs_in_queue() { squeue -h -t PENDING,RUNNING,CONFIGURING,COMPLETING | wc -l | tr -d ' '; }

new_repo diamond
echo "seed" > input.txt
cat > mlops.yaml <<'YAML'
stages:
  A:
    cmd: cat input.txt > a.txt && echo A >> "$COUNT"
    deps: [input.txt]
    outs: [a.txt]
  B:
    cmd: sleep 3 && sed 's/^/b:/' a.txt > b.txt && echo B >> "$COUNT"
    deps: [a.txt]
    outs: [b.txt]
    resources: {cpus: 1, mem: 100M, time: 5m}
  C:
    cmd: sleep 3 && sed 's/^/c:/' a.txt > c.txt && echo C >> "$COUNT"
    deps: [a.txt]
    outs: [c.txt]
    resources: {cpus: 1, time: 5m}
  D:
    cmd: cat b.txt c.txt > d.txt && echo D >> "$COUNT"
    deps: [b.txt, c.txt]
    outs: [d.txt]
YAML

# Bad input first: nothing may reach Slurm.
expect_code 2 "slurm executor needs a shared remote" -- mlops run --executor slurm
[ "$(jobs_in_queue)" = 0 ] && [ ! -s "$COUNT" ] || fail "a run without a remote submitted something"
ok "executor slurm without a remote: refused before anything is submitted"

mlops remote add s3 s3://mlops-test/pipes
mlops remote modify s3 endpoint "$S3_ENDPOINT"
commit "diamond"

expect_code 0 "A: would run as a Slurm job \(never run\)" -- mlops run --executor slurm --dry-run
expect_code 0 "D: would run as a Slurm job .*upstream stage B would run" -- mlops run --executor slurm --dry-run
check_golden run_slurm_dry_run mlops run --executor slurm --dry-run --json
[ "$(jobs_in_queue)" = 0 ] || fail "--dry-run submitted jobs"
ok "--dry-run lists the jobs and their reasons, submits nothing"

out=$(timeout 300 "$MLOPS" run --executor slurm --json 2>"$E2E_TMP/diamond.err") || fail "diamond run failed: $(cat "$E2E_TMP/diamond.err") $out"
[ "$(json_get '[s["action"] for s in j["stages"]]' <<<"$out")" = '["ran", "ran", "ran", "ran"]' ] || fail "diamond actions: $out"
[ "$(json_get 'all(s["job_id"] for s in j["stages"])' <<<"$out")" = true ] || fail "no Slurm job ids: $out"
[ "$(sort "$COUNT" | tr -d '\n')" = "ABCD" ] || fail "stages executed: $(cat "$COUNT")"
[ "$(cat d.txt)" = "$(printf 'b:seed\nc:seed')" ] || fail "d.txt: $(cat d.txt)"
for s in A B C D; do grep -q "\"$s\"" mlops.lock || fail "mlops.lock lacks $s"; done
ok "diamond DAG on Slurm: every stage a job, outputs right, mlops.lock updated"

# B and C ran at the same time: their recorded intervals overlap (the records the jobs pushed).
b_run=$(json_get '[s["run_id"] for s in j["stages"] if s["stage"] == "B"][0]' <<<"$out")
c_run=$(json_get '[s["run_id"] for s in j["stages"] if s["stage"] == "C"][0]' <<<"$out")
a_run=$(json_get '[s["run_id"] for s in j["stages"] if s["stage"] == "A"][0]' <<<"$out")
d_run=$(json_get '[s["run_id"] for s in j["stages"] if s["stage"] == "D"][0]' <<<"$out")
span() { mlops runs show "$1" --json | json_get '[j["started_ns"], j["ended_ns"]]' | tr -d '[] ' ; }
IFS=, read -r b0 b1 <<<"$(span "$b_run")"
IFS=, read -r c0 c1 <<<"$(span "$c_run")"
IFS=, read -r a0 a1 <<<"$(span "$a_run")"
IFS=, read -r d0 d1 <<<"$(span "$d_run")"
[ "$b0" -lt "$c1" ] && [ "$c0" -lt "$b1" ] || fail "B [$b0,$b1] and C [$c0,$c1] did not overlap"
[ "$a1" -le "$b0" ] && [ "$a1" -le "$c0" ] && [ "$b1" -le "$d0" ] && [ "$c1" -le "$d0" ] || fail "dependency order broken: A $a0-$a1 B $b0-$b1 C $c0-$c1 D $d0-$d1"
ok "B and C ran at the same time, after A and before D (from the run records)"

: > "$COUNT"
expect_code 0 "Pipeline is up to date" -- mlops run --executor slurm
[ ! -s "$COUNT" ] && [ "$(jobs_in_queue)" = 0 ] || fail "an up-to-date pipeline ran something"
ok "second run: up to date, no job submitted"

# The run cache across nodes: a clone elsewhere (empty store, empty index) with the same remote
# restores every stage from the records and objects the jobs pushed; nothing executes.
commit "locked"
cd "$E2E_TMP" && git clone -q diamond clone && cd clone
rm -f mlops.lock
out=$(mlops run --executor slurm --detach --json) || fail "detach: $out"
batch=$(json_get 'j["batch"]' <<<"$out")
[ "$(json_get 'len(j["jobs"])' <<<"$out")" = 4 ] || fail "detach jobs: $out"
out=$(timeout 300 "$MLOPS" runs wait "$batch" --json 2>"$E2E_TMP/wait.err") || fail "runs wait: $(cat "$E2E_TMP/wait.err") $out"
[ "$(json_get '[s["action"] for s in j["stages"]]' <<<"$out")" = '["restored", "restored", "restored", "restored"]' ] || fail "clone actions: $out"
[ ! -s "$COUNT" ] || fail "the clone executed stages: $(cat "$COUNT")"
[ "$(cat d.txt)" = "$(printf 'b:seed\nc:seed')" ] || fail "restored d.txt: $(cat d.txt)"
grep -q '"D"' mlops.lock || fail "runs wait did not lock the restored stages"
ok "a clone restores every stage from the run cache on the remote (--detach, then runs wait)"

# A change reruns only what it must.
cd "$E2E_TMP/diamond"
echo "more" >> input.txt
timeout 300 "$MLOPS" run --executor slurm >"$E2E_TMP/rerun.out" 2>"$E2E_TMP/rerun.err" || fail "rerun: $(cat "$E2E_TMP/rerun.err")"
[ "$(sort "$COUNT" | tr -d '\n')" = "ABCD" ] || fail "after an input change: $(cat "$COUNT")"
grep -q "A: submitted as Slurm job [0-9]* (dependency input.txt changed)" "$E2E_TMP/rerun.err" || fail "no submission lines: $(cat "$E2E_TMP/rerun.err")"
grep -q "B: running on $SLURM_NODE" "$E2E_TMP/rerun.err" || fail "no progress lines: $(cat "$E2E_TMP/rerun.err")"
grep -q "4 stages ran, 0 restored from the run cache" "$E2E_TMP/rerun.out" || fail "summary: $(cat "$E2E_TMP/rerun.out")"
ok "a changed input reruns its stage and everything downstream; progress per stage shown"

# -j 1: one job of the batch at a time (N job names, each --dependency=singleton): B and C no longer overlap.
echo "again" >> input.txt
out=$(timeout 300 "$MLOPS" run --executor slurm -j 1 --json 2>/dev/null) || fail "-j 1: $out"
b_run=$(json_get '[s["run_id"] for s in j["stages"] if s["stage"] == "B"][0]' <<<"$out")
c_run=$(json_get '[s["run_id"] for s in j["stages"] if s["stage"] == "C"][0]' <<<"$out")
IFS=, read -r b0 b1 <<<"$(span "$b_run")"
IFS=, read -r c0 c1 <<<"$(span "$c_run")"
[ "$b1" -le "$c0" ] || [ "$c1" -le "$b0" ] || fail "-j 1: B [$b0,$b1] and C [$c0,$c1] overlapped"
ok "-j 1 runs the batch's jobs one at a time"

# Failures: a failing stage's dependents are cancelled by Slurm (not left pending), an independent
# stage still runs, a stage over its time limit is reported with Slurm's reason.
# slurm_repo NAME: a new repository whose remote is s3://mlops-test/NAME on s3rver.
slurm_repo() {
    new_repo "$1"
    mlops remote add s3 "s3://mlops-test/$1"
    mlops remote modify s3 endpoint "$S3_ENDPOINT"
}
# run_batch NAME: commits, runs the pipeline on Slurm with --json: its document in $out, its exit
# status in $rc, its stderr in $E2E_TMP/NAME.err, what the stages executed in $COUNT.
run_batch() {
    commit "$1"
    : > "$COUNT"
    rc=0
    out=$(timeout 300 "$MLOPS" run --executor slurm --json 2>"$E2E_TMP/$1.err") || rc=$?
}
slurm_repo failing
cat > mlops.yaml <<'YAML'
stages:
  broken:
    cmd: echo broken >> "$COUNT" && echo "about to fail" && exit 3
    outs: [never.txt]
  after:
    cmd: echo after >> "$COUNT" && cat never.txt > after.txt
    deps: [never.txt]
    outs: [after.txt]
  slow:
    cmd: echo slow >> "$COUNT" && sleep 300 && echo late > slow.txt
    outs: [slow.txt]
    resources: {time: 1m}
  fine:
    cmd: echo fine > fine.txt
    outs: [fine.txt]
  hungry:
    cmd: /usr/bin/python3 -c "import time; a = [time.sleep(0.05) or bytearray(16 << 20) for _ in range(200)]" && echo fed > fed.txt
    outs: [fed.txt]
    resources: {mem: 200M}
YAML
run_batch failing
[ "$rc" = 7 ] || fail "failing pipeline exited $rc: $(cat "$E2E_TMP/failing.err") $out"
action() { json_get "[s['action'] for s in j['stages'] if s['stage'] == '$1'][0]" <<<"$out"; }
reasons() { json_get "'; '.join([s['reasons'] for s in j['stages'] if s['stage'] == '$1'][0])" <<<"$out"; }
[ "$(action broken)" = failed ] || fail "broken: $out"
[ "$(json_get "[s['exit_status'] for s in j['stages'] if s['stage'] == 'broken'][0]" <<<"$out")" = 3 ] || fail "broken exit status: $out"
[ "$(action after)" = skipped ] || fail "after: $out"
grep -q "DependencyNeverSatisfied" <<<"$(reasons after)" || fail "after's reason: $(reasons after)"
[ "$(action fine)" = ran ] || fail "fine: $out"
[ "$(action slow)" = failed ] || fail "slow: $out"
grep -q "TIMEOUT: the job ran past its time limit" <<<"$(reasons slow)" || fail "slow's reason: $(reasons slow)"
[ "$(action hungry)" = failed ] || fail "hungry: $out"
grep -q "^Slurm: OUT_OF_MEMORY: the job ran out of memory (slurmstepd.*exceeded memory limit" <<<"$(reasons hungry)" ||
    fail "hungry's reason: $(reasons hungry)"
grep -q "3 stages failed: broken (run [0-9a-f]*), slow (run [0-9a-f]*), hungry" "$E2E_TMP/failing.err" ||
    fail "error line: $(cat "$E2E_TMP/failing.err"); slow's job said: $(cat .mlops/slurm/*/slow-*.out)"
# The killed stage's own run record says failed, with Slurm's reason (stage-exec asked the
# controller when SIGTERM came), not "interrupted".
slow_run=$(json_get "[s['run_id'] for s in j['stages'] if s['stage'] == 'slow'][0]" <<<"$out")
run mlops runs show "$slow_run" --json
[ "$RC" = 0 ] || fail "runs show $slow_run: $ERR"
[ "$(json_get 'j["status"]' <<<"$OUT")" = failed ] || fail "the timed-out run's record: $OUT"
grep -q "^Slurm: TIMEOUT: the job ran past its time limit" <<<"$(json_get 'j["error"]' <<<"$OUT")" ||
    fail "the timed-out run's error: $(json_get 'j["error"]' <<<"$OUT"); slow's job said: $(cat .mlops/slurm/*/slow-*.out)"
# Collecting the batch again (runs wait on ended jobs) says the same for people.
expect_code 7 "stage slow failed: Slurm: TIMEOUT: the job ran past its time limit" -- mlops runs wait "$(json_get 'j["batch"]' <<<"$out")"
grep -q "stage after not run: an upstream stage failed" "$E2E_TMP/stderr" || fail "runs wait: $(cat "$E2E_TMP/stderr")"
grep -qx after "$COUNT" && fail "the dependent of a failed stage ran"
[ "$(jobs_in_queue)" = 0 ] || fail "jobs left in the queue: $(squeue)"
grep -q '"fine"' mlops.lock && ! grep -q '"broken"\|"slow"\|"after"' mlops.lock || fail "lock: $(cat mlops.lock)"
run mlops runs show "$(json_get "[s['run_id'] for s in j['stages'] if s['stage'] == 'broken'][0]" <<<"$out")" --log
grep -q "about to fail" <<<"$OUT" || fail "the failed run's log is not recorded: $OUT"
ok "failing stage: dependents cancelled by Slurm, independent stages run, time limit and memory limit reported with Slurm's reason, only successes locked"

# foreach/matrix stages go as a job array (one sbatch) when their items share resources and upstream
# jobs; a stage downstream of one item waits for that task only; a failed task's dependents are
# cancelled, its siblings' are not.
slurm_repo arrays
cat > mlops.yaml <<'YAML'
stages:
  prep:
    cmd: echo prep > prep.txt && echo prep >> "$COUNT"
    outs: [prep.txt]
  train:
    foreach: [a, b, bad]
    do:
      cmd: test ${item} != bad && cat prep.txt > model-${item}.txt && echo ${item} >> model-${item}.txt && echo train-${item} >> "$COUNT"
      deps: [prep.txt]
      outs: ["model-${item}.txt"]
      resources: {time: 5m}
  report:
    cmd: cat model-b.txt > report.txt && echo report >> "$COUNT"
    deps: [model-b.txt]
    outs: [report.txt]
  final:
    cmd: cat model-bad.txt > final.txt && echo final >> "$COUNT"
    deps: [model-bad.txt]
    outs: [final.txt]
YAML
run_batch arrays
[ "$rc" = 7 ] || fail "array pipeline exited $rc: $(cat "$E2E_TMP/arrays.err") $out"
job_of() { json_get "[s['job_id'] for s in j['stages'] if s['stage'] == '$1'][0]" <<<"$out"; }
array_id=$(job_of train@a | cut -d_ -f1)
[ "$(job_of train@a)" = "${array_id}_0" ] && [ "$(job_of train@b)" = "${array_id}_1" ] && [ "$(job_of train@bad)" = "${array_id}_2" ] ||
    fail "the foreach items are not one array: $(job_of train@a) $(job_of train@b) $(job_of train@bad)"
[ "$(scontrol -o show job "$array_id" | grep -c "ArrayJobId=$array_id ")" = 3 ] || fail "Slurm's array: $(scontrol -o show job "$array_id")"
[ "$(action train@a)" = ran ] && [ "$(action train@b)" = ran ] && [ "$(action report)" = ran ] || fail "array actions: $out"
[ "$(action train@bad)" = failed ] && [ "$(action final)" = skipped ] || fail "failed task's dependents: $out"
[ "$(cat report.txt)" = "$(printf 'prep\nb')" ] || fail "report.txt: $(cat report.txt)"
[ "$(sort "$COUNT" | tr '\n' ' ')" = "prep report train-a train-b " ] || fail "what ran: $(cat "$COUNT")"
grep -q '"train@b"' mlops.lock && grep -q '"report"' mlops.lock && ! grep -q '"train@bad"' mlops.lock || fail "lock: $(cat mlops.lock)"
ls .mlops/slurm/*/train-"${array_id}"_1.out >/dev/null || fail "no array task output file: $(ls -R .mlops/slurm)"
ok "foreach items run as one job array; dependents wait for their own task; a failed task cancels only its dependents"

# A stage Slurm kills because its node went away is recorded as failed with Slurm's reason.
cat > mlops.yaml <<'YAML'
stages:
  doomed:
    cmd: sleep 120 && echo never > doomed.txt
    outs: [doomed.txt]
    resources: {sbatch_args: [--no-requeue]}
YAML
"$MLOPS" run --executor slurm --json >"$E2E_TMP/node.out" 2>"$E2E_TMP/node.err" &
pid=$!
doomed_running() { [ -n "$(squeue -h -t RUNNING -n mlops:doomed -o %i)" ]; }
for _ in $(seq 1 300); do doomed_running && break; sleep 0.2; done
doomed_running || { kill $pid; fail "doomed did not start: $(cat "$E2E_TMP/node.err")"; }
scontrol update NodeName="$SLURM_NODE" State=DOWN Reason=mlops-test
rc=0
wait $pid || rc=$?
# (ReturnToService=2 brings the node back once its slurmd registers again; RESUME when it has not.)
scontrol update NodeName="$SLURM_NODE" State=RESUME >/dev/null 2>&1 || true
slurm_wait 60 "node $SLURM_NODE to be idle again" sh -c "sinfo -h -n '$SLURM_NODE' -o %t | grep -qx idle"
out=$(cat "$E2E_TMP/node.out")
[ "$rc" = 7 ] || fail "node failure: exit $rc: $(cat "$E2E_TMP/node.err") $out"
[ "$(action doomed)" = failed ] || fail "doomed: $out"
grep -q "Slurm: NODE_FAIL: node $SLURM_NODE failed" <<<"$(reasons doomed)" || fail "doomed's reason: $(reasons doomed)"
# The report always says it (above); the run record only when the step outlived its node's going
# down long enough to write it (a node that really dies takes the step with it): when there is
# one, it must say failed with Slurm's reason, not interrupted.
doomed_run=$(json_get "[s['run_id'] for s in j['stages'] if s['stage'] == 'doomed'][0]" <<<"$out")
if [ "$doomed_run" != null ]; then
    run mlops runs show "$doomed_run" --json
    [ "$(json_get 'j["status"]' <<<"$OUT")" = failed ] && grep -q "^Slurm: NODE_FAIL" <<<"$(json_get 'j["error"]' <<<"$OUT")" ||
        fail "the killed run's record: $OUT $ERR"
fi
ok "a node taken down under a running stage: failed with Slurm's reason, in the report (and the run record when the step could write one)"

# Bad resources: named before submitting; a request Slurm rejects shows Slurm's words.
cat > mlops.yaml <<'YAML'
stages:
  big:
    cmd: echo big > big.txt
    outs: [big.txt]
    resources: {mem: lots}
YAML
expect_code 2 "mlops.yaml:[0-9]+:[0-9]+: stage big: resources.mem must be a size" -- mlops run --executor slurm
sed -i 's/mem: lots/partition: nosuch/' mlops.yaml
# (timeout: a request Slurm accepted instead would wait for ever; the test must fail, not hang.)
expect_code 2 "sbatch rejected stage big \(--partition=nosuch\): .*Invalid partition" -- timeout 120 "$MLOPS" run --executor slurm
sed -i 's/partition: nosuch/cpus: 4096/' mlops.yaml
expect_code 2 "sbatch rejected stage big \(--cpus-per-task=4096\): .*More processors requested than permitted" -- timeout 120 "$MLOPS" run --executor slurm
sed -i 's/cpus: 4096/gpus: 1/' mlops.yaml
expect_code 2 "sbatch rejected stage big \(--gpus=1\): .*Invalid generic resource" -- timeout 120 "$MLOPS" run --executor slurm
sed -i 's/gpus: 1/cpus: 4096/' mlops.yaml
[ "$(jobs_in_queue)" = 0 ] || fail "a rejected run left jobs"
ok "bad resources named with file, line and field; a request sbatch rejects shows Slurm's words"

# No Slurm on PATH; a controller that does not answer.
sed -i 's/cpus: 4096/cpus: 1/' mlops.yaml
expect_code 2 "cannot run .sbatch." -- env PATH=/nonexistent "$MLOPS" run --executor slurm
sed "s/^SlurmctldPort=.*/SlurmctldPort=$(slurm_free_port)/" "$SLURM_CONF" > "$E2E_TMP/down.conf"
expect_code 6 "sbatch.* failed: .*Unable to contact slurm controller" -- env SLURM_CONF="$E2E_TMP/down.conf" timeout 120 "$MLOPS" run --executor slurm
ok "no Slurm, or a controller that does not answer: one line naming the command"

# The step of an array task picks its stage by SLURM_ARRAY_TASK_ID; outside an array (or out of
# range) it says so instead of running some stage.
expect_code 2 "stage-exec: 2 stages given, and SLURM_ARRAY_TASK_ID is unset: not a task of their array" -- \
    env -u SLURM_ARRAY_TASK_ID "$MLOPS" stage-exec --batch b0 -r s3 -- big other
expect_code 2 "SLURM_ARRAY_TASK_ID is 2: not a task of their array" -- env SLURM_ARRAY_TASK_ID=2 "$MLOPS" stage-exec --batch b0 -r s3 -- big other
ok "stage-exec outside its array: one error line"

# executor: slurm in the file; Ctrl-C while waiting cancels the jobs; runs cancel.
cat > mlops.yaml <<'YAML'
executor: slurm
stages:
  wait:
    cmd: sleep 120 && echo done > waited.txt
    outs: [waited.txt]
YAML
: >"$E2E_TMP/int.err"
"$MLOPS" run >"$E2E_TMP/int.out" 2>"$E2E_TMP/int.err" &
pid=$!
for _ in $(seq 1 150); do grep -q "wait: running" "$E2E_TMP/int.err" && break; sleep 0.2; done
grep -q "wait: running" "$E2E_TMP/int.err" || { kill $pid; fail "executor: slurm in the file did not submit: $(cat "$E2E_TMP/int.err")"; }
job=$(sed -n 's/.*wait: submitted as Slurm job \([0-9]*\).*/\1/p' "$E2E_TMP/int.err")
kill -INT $pid
rc=0
wait $pid || rc=$?
[ "$rc" = 130 ] || fail "Ctrl-C exited $rc: $(cat "$E2E_TMP/int.err")"
grep -q "cancelled 1 Slurm job" "$E2E_TMP/int.err" || fail "Ctrl-C did not say it cancelled: $(cat "$E2E_TMP/int.err")"
slurm_wait 30 "job $job to be cancelled" sh -c "scontrol show job $job | grep -q JobState=CANCELLED"
ok "executor: slurm in the pipeline file; Ctrl-C while waiting cancels the jobs"

# On a terminal, Ctrl-C asks first: "n" leaves the job running (and says how to come back to
# it), "y" cancels it.
slurm_pty() { /usr/bin/python3 "$(dirname "${BASH_SOURCE[0]}")/slurm_pty.py" "$@"; }
rc=0
slurm_pty "wait: running" n "$MLOPS" run >"$E2E_TMP/pty.out" 2>&1 || rc=$?
[ "$rc" = 130 ] || fail "Ctrl-C on a terminal, answered n: exit $rc: $(cat "$E2E_TMP/pty.out")"
grep -q "cancel the 1 unfinished Slurm job of batch [0-9a-f]*? \[y/N\]" "$E2E_TMP/pty.out" || fail "no question: $(cat "$E2E_TMP/pty.out")"
grep -q "the jobs of batch [0-9a-f]* go on (wait for them with .mlops runs wait" "$E2E_TMP/pty.out" || fail "no way back: $(cat "$E2E_TMP/pty.out")"
job=$(sed -n 's/.*wait: submitted as Slurm job \([0-9]*\).*/\1/p' "$E2E_TMP/pty.out")
[ "$(slurm_job_field "$job" JobState)" = RUNNING ] || fail "answered n, yet job $job is $(slurm_job_field "$job" JobState)"
expect_code 0 "Cancelled the 1 Slurm job" -- mlops runs cancel
slurm_wait 30 "job $job to be cancelled" sh -c "scontrol show job $job | grep -q JobState=CANCELLED"
rc=0
slurm_pty "wait: running" y "$MLOPS" run >"$E2E_TMP/pty.out" 2>&1 || rc=$?
[ "$rc" = 130 ] && grep -q "cancelled 1 Slurm job" "$E2E_TMP/pty.out" || fail "answered y: exit $rc: $(cat "$E2E_TMP/pty.out")"
job=$(sed -n 's/.*wait: submitted as Slurm job \([0-9]*\).*/\1/p' "$E2E_TMP/pty.out")
slurm_wait 30 "job $job to be cancelled" sh -c "scontrol show job $job | grep -q JobState=CANCELLED"
ok "Ctrl-C on a terminal asks: n leaves the jobs running, y cancels them"

sed -i '/^executor: slurm$/d' mlops.yaml
mlops config run.executor slurm
expect_code 0 "Submitted 1 Slurm job" -- mlops run --detach
job=$(squeue -h -o %i | head -n 1)
[ -n "$job" ] || fail "--detach left no job"
expect_code 0 "Cancelled the 1 Slurm job" -- mlops runs cancel
slurm_wait 30 "job $job to be cancelled" sh -c "scontrol show job $job | grep -q JobState=CANCELLED"
ok "run.executor slurm in the config; --detach returns at once; runs cancel cancels the batch's jobs"

finish
