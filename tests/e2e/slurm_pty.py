# slurm_pty.py WAIT_FOR ANSWER ARGV...: runs ARGV on a pseudo-terminal (as a person at a terminal
# would), waits for WAIT_FOR in its output, types Ctrl-C, waits for the [y/N] question, types ANSWER
# and Enter, copies everything the command printed to stdout and exits with the command's status
# (128 + signal when a signal ended it). Every wait is bounded: 120 s for WAIT_FOR, 60 s for the rest.
import os
import pty
import select
import sys
import time

wait_for, answer, argv = sys.argv[1].encode(), sys.argv[2].encode(), sys.argv[3:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(argv[0], argv)

seen = b""


def read_until(pattern, seconds):
    global seen
    deadline = time.monotonic() + seconds
    while pattern not in seen:
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the command ended: the terminal is gone
                return pattern in seen
            if not chunk:
                return pattern in seen
            seen += chunk
    return True


ok = read_until(wait_for, 120)
if ok:
    os.write(fd, b"\x03")  # the terminal turns it into SIGINT for the foreground process group
    ok = read_until(b"[y/N]", 60)
    if ok:
        os.write(fd, answer + b"\n")
    read_until(b"\x00never\x00", 60)  # everything until the command ends
else:
    os.kill(pid, 9)
_, status = os.waitpid(pid, 0)
sys.stdout.write(seen.decode(errors="replace"))
if not ok:
    sys.stdout.write(f"\nslurm_pty.py: did not see {wait_for!r} or the question\n")
    sys.exit(99)
sys.exit(os.waitstatus_to_exitcode(status) if os.waitstatus_to_exitcode(status) >= 0 else 128 - os.waitstatus_to_exitcode(status))
