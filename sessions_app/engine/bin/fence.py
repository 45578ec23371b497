"""The browser's fence: kills a session's browser once its node's lease on it has run out.

Started by ./chromedriver beside ChromeDriver, as a process of its own in the browser's process
session (Selenium starts ChromeDriver with one of its own), so an engine worker frozen past its
lease (SIGSTOP, starved of CPU), which renews nothing and closes nothing, does not freeze this.
The lease keeper (host.py) writes the wall-clock time the lease runs out into LEASE_FILE at
every renewal; once that time plus GRACE has passed, every process of the browser's session
(ChromeDriver, Chromium and its helpers, even those already orphaned) is SIGKILLed, so the
node taking the session over never shares the number with it. The written time is compared
with the clock, never counted in missed beats: a fence slowed by load cannot fire early. It
ends with ChromeDriver, its parent (and pdeathsig), however that ends.

Usage: python -I -S fence.py LEASE_FILE. Standard library only: no Django, no packages.
"""

import ctypes
import os
import signal
import sys
import time
from pathlib import Path

# Seconds past the written time before the kill: room for a small step of the wall clock.
GRACE = 0.5
TICK = 0.25
PR_SET_PDEATHSIG = 1  # prctl(2)


def lease_until(lease_file: Path) -> float | None:
    """The time written by the keeper; None before the first write (nothing to enforce)."""
    try:
        return float(lease_file.read_text())
    except (OSError, ValueError):  # written by os.replace, so never half a number
        return None


def session_pids(sid: int) -> list[int]:
    """The live processes of process session `sid` (zombies left out: they are already dead)."""
    pids = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                # "pid (comm) state ppid pgrp session ...": comm may hold spaces and parentheses.
                state, _ppid, _pgrp, session = (proc / "stat").read_text().rpartition(")")[2].split()[:4]
            except (OSError, ValueError):
                continue
            if int(session) == sid and state != "Z":
                pids.append(int(proc.name))
    return pids


def kill_session(sid: int) -> None:
    # ChromeDriver may die first, and with it this fence (pdeathsig), the rest left alive.
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, 0)
    me = os.getpid()
    for _ in range(40):  # until none is left: a helper may be forking as the kill goes out
        pids = [pid for pid in session_pids(sid) if pid != me]
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.05)


def main(lease_file: Path) -> int:
    driver = os.getppid()  # the wrapper's shell, which became ChromeDriver by exec
    sid = os.getsid(0)
    if sid != driver:
        # Not in a session that ChromeDriver leads: killing it would take others' processes.
        print(f"fence: not in ChromeDriver's own process session; no fence for {lease_file}", file=sys.stderr)
        return 2
    while os.getppid() == driver:  # reparented: ChromeDriver is gone, so is the browser
        until = lease_until(lease_file)
        if until is not None and time.time() > until + GRACE:
            print(f"fence: lease ran out at {until:.3f} ({lease_file}); killing the browser", file=sys.stderr)
            kill_session(sid)
            return 1
        time.sleep(TICK)
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
