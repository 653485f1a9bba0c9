# A real single-node Slurm cluster for end-to-end tests: Debian's slurm-wlm and munge, configured in a
# temporary folder (config, munge key, state, logs, pid files all there; SLURM_CONF exported), the
# node being this machine with its real CPUs and memory, no cgroups (proctrack/linuxproc, task/none).
# Source it after lib.sh, then call slurm_start; everything stops when the test exits. Every wait has
# a timeout: a cluster that does not come up fails the test with its logs, it never hangs. Without
# the binaries the test is skipped (failed in CI, which must install them: scripts/install-deps.sh);
# the daemons must run as root. Memory is enforced without cgroups: a job over its --mem (default
# DefMemPerCPU, 1 GiB) is killed by slurmstepd's accounting poll (jobacct_gather/linux,
# OverMemoryKill). KillWait (SIGTERM to SIGKILL) is 10 s, not Slurm's 30: long enough for a killed
# stage's step to record and push its run on a loaded machine, short enough for the tests.

SLURM_BINARIES="munged mungekey slurmctld slurmd sbatch scontrol squeue scancel sinfo"

slurm_skip_or_fail() {
    if [ -n "${CI:-}" ]; then fail "$* (CI must install slurm-wlm and munge: scripts/install-deps.sh)"; fi
    echo "skipped: $*"
    finish
    exit 0
}

# A free TCP port on loopback (asked of the kernel, so concurrent tests do not collide).
slurm_free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# slurm_wait SECONDS WHAT CMD...: runs CMD every 0.2 s until it succeeds; fails the test after SECONDS.
slurm_wait() {
    local secs=$1 what=$2
    shift 2
    local deadline=$((SECONDS + secs))
    until timeout 10 "$@" >/dev/null 2>&1; do
        if [ "$SECONDS" -ge "$deadline" ]; then slurm_logs; fail "Slurm: timed out after ${secs}s waiting for $what"; fi
        sleep 0.2
    done
}

slurm_logs() {
    for f in "$SLURM_DIR"/*.log; do
        [ -f "$f" ] || continue
        echo "--- $f (last 30 lines)" >&2
        tail -n 30 "$f" >&2
    done
}

# Starts munged, slurmctld and slurmd; sets SLURM_DIR, SLURM_CONF, SLURM_NODE, SLURM_CPUS and puts
# a `slurm_stop` in the EXIT trap (before the test's own cleanup).
slurm_start() {
    local b
    for b in $SLURM_BINARIES; do
        command -v "$b" >/dev/null 2>&1 || [ -x "/usr/sbin/$b" ] || slurm_skip_or_fail "Slurm is not installed ($b missing; apt-get install slurm-wlm munge)"
    done
    [ "$(id -u)" = 0 ] || slurm_skip_or_fail "the Slurm test cluster must be started as root"
    export PATH="$PATH:/usr/sbin"
    # The folder holds the munge socket: short path (sockets are limited to 108 bytes), not
    # world-writable (munged checks).
    SLURM_DIR=$(mktemp -d /tmp/slurm-XXXXXX)
    chmod 700 "$SLURM_DIR"
    mkdir -p "$SLURM_DIR/ctld" "$SLURM_DIR/spool" "$SLURM_DIR/munge"
    chmod 700 "$SLURM_DIR/munge"
    trap 'slurm_stop; type s3_stop_all >/dev/null 2>&1 && s3_stop_all; cleanup' EXIT

    mungekey --create --keyfile="$SLURM_DIR/munge/munge.key" >/dev/null 2>&1 ||
        dd if=/dev/urandom of="$SLURM_DIR/munge/munge.key" bs=1024 count=1 status=none
    chmod 400 "$SLURM_DIR/munge/munge.key"
    timeout 20 munged --force --key-file="$SLURM_DIR/munge/munge.key" --socket="$SLURM_DIR/munge/sock" \
        --pid-file="$SLURM_DIR/munged.pid" --log-file="$SLURM_DIR/munged.log" --seed-file="$SLURM_DIR/munge/seed" ||
        { slurm_logs; fail "munged did not start"; }

    SLURM_NODE=$(hostname -s)
    SLURM_CPUS=$(nproc)
    local mem_mb ctld_port d_port
    mem_mb=$(($(sed -n 's/^MemTotal: *\([0-9]*\) kB/\1/p' /proc/meminfo) / 1024 - 512))
    ctld_port=$(slurm_free_port)
    d_port=$(slurm_free_port)
    while [ "$d_port" = "$ctld_port" ]; do d_port=$(slurm_free_port); done
    cat >"$SLURM_DIR/slurm.conf" <<EOF
ClusterName=mlopstest
SlurmctldHost=$SLURM_NODE(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$d_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$SLURM_DIR/munge/sock
StateSaveLocation=$SLURM_DIR/ctld
SlurmdSpoolDir=$SLURM_DIR/spool
SlurmctldPidFile=$SLURM_DIR/slurmctld.pid
SlurmdPidFile=$SLURM_DIR/slurmd.pid
SlurmctldLogFile=$SLURM_DIR/slurmctld.log
SlurmdLogFile=$SLURM_DIR/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=1
JobAcctGatherParams=OverMemoryKill
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$SLURM_DIR/jobcomp.txt
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
DefMemPerCPU=1024
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=2,bf_interval=2
ReturnToService=2
EnforcePartLimits=ALL
MpiDefault=none
SlurmctldTimeout=10
SlurmdTimeout=10
MessageTimeout=5
KillWait=10
OverTimeLimit=0
InactiveLimit=0
MinJobAge=600
Waittime=0
NodeName=$SLURM_NODE NodeAddr=127.0.0.1 CPUs=$SLURM_CPUS RealMemory=$mem_mb State=UNKNOWN
PartitionName=debug Nodes=$SLURM_NODE Default=YES MaxTime=INFINITE State=UP
EOF
    cat >"$SLURM_DIR/cgroup.conf" <<EOF
CgroupAutomount=no
ConstrainCores=no
ConstrainRAMSpace=no
EOF
    export SLURM_CONF="$SLURM_DIR/slurm.conf"
    # -i: ignore saved state (a fresh cluster every time).
    timeout 30 slurmctld -i -f "$SLURM_CONF" >>"$SLURM_DIR/slurmctld.log" 2>&1 || { slurm_logs; fail "slurmctld did not start"; }
    slurm_wait 30 "slurmctld to answer" scontrol ping
    timeout 30 slurmd -f "$SLURM_CONF" -N "$SLURM_NODE" >>"$SLURM_DIR/slurmd.log" 2>&1 || { slurm_logs; fail "slurmd did not start"; }
    slurm_wait 60 "node $SLURM_NODE to be idle" sh -c "sinfo -h -n '$SLURM_NODE' -o %t | grep -qx idle"
}

# Stops the daemons this harness started (by their pid files), waits for them (bounded), removes the folder.
slurm_stop() {
    [ -n "${SLURM_DIR:-}" ] && [ -d "$SLURM_DIR" ] || return 0
    local f pid
    if [ -n "${SLURM_CONF:-}" ]; then timeout 10 scancel --quiet -u root >/dev/null 2>&1 || true; fi
    for f in slurmd slurmctld munged; do
        pid=$(cat "$SLURM_DIR/$f.pid" 2>/dev/null || true)
        [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
    done
    for f in slurmd slurmctld munged; do
        pid=$(cat "$SLURM_DIR/$f.pid" 2>/dev/null || true)
        [ -n "$pid" ] || continue
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
    done
    rm -rf "$SLURM_DIR"
    SLURM_DIR=""
}

# slurm_job_field JOBID FIELD: one field of `scontrol show job` (e.g. JobState, Reason, StartTime).
slurm_job_field() {
    scontrol show job "$1" 2>/dev/null | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n 1
}
