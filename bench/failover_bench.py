"""Failover benchmark: a node dies, another one with an empty disk takes its session over.

One sandbox session, engine nodes each with a DATA_DIR of their own (nothing shared but the
database and Redis), ENGINE_LEASE_TTL and ENGINE_SCAN_INTERVAL at their defaults (or as set in
the environment). Each run: the owning node's process group is SIGKILLed and its data
directory deleted while a standby node runs; a message is sent at that moment. Measured from
the kill: the session `connected` on the standby (login restored from the database snapshot,
no scan), and that message `sent`. Also the login snapshots' size and time.

Where the seconds go (`breakdown_s`, seconds from the SIGKILL itself, where `connected_s` and
`first_message_out_s` count from the moment the dead node's disk is gone, a few hundred ms
later): the dead node's lease expiring (`lease_expired`, its remaining TTL at the kill), the
standby claiming the session, its actor starting, the apps' start steps done, the login
snapshot restored, ChromeDriver and Chromium started,
the page's push channel and scripts installed (`browser_up`), the page loaded, wa-js ready,
`connected`, and the first send out of the page (`first_send`, which includes the sending
policy's typing, 0.6 s at least). From the standby's `start marks` log line
(sessions_app/engine/actor.py).

Slow node mode (`--slow-runs`, after the takeovers): the owning node is SIGSTOPped for
`--slow-stop` seconds (default half of ENGINE_LEASE_TTL), as a long garbage collection or a
starved CPU would freeze it, while a standby runs; it must keep its session (false takeovers:
0) and send a message once it runs again.

    python -m bench.failover_bench            # 5 runs, 3 slow-node runs
    python -m bench.failover_bench --runs 3 --slow-runs 2 --slow-stop 3
"""

import argparse
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import redis

from bench.harness import PYTHON, ROOT, Stack, emit
from bench.sessions_bench import percentile

SECRET = "failover-bench-" + "k" * 40  # one deployment: every node decrypts the snapshots
LEASE_KEY = "yesapp:lease:session:{}"
DEFAULT_TTL = 5  # yesapp/settings.py ENGINE_LEASE_TTL
# The standby's steps, in order, as its actor logs them ("start marks", sessions_app/engine/actor.py).
STEPS = (
    "claimed",
    "actor_started",
    "start_steps_done",
    "profile_restored",
    "chromium_started",
    "browser_up",
    "page_loaded",
    "wajs_ready",
    "connected",
    "first_send",
)


def start_node(stack: Stack, name: str) -> None:
    """An engine node with a data directory of its own (only the database is the stack's)."""
    data_dir = stack.tmp / "nodes" / name
    data_dir.mkdir(parents=True)
    env = dict(stack.env, DATA_DIR=str(data_dir))
    log = (stack.tmp / f"{name}.log").open("ab")
    command = [PYTHON, "-m", "celery", "-A", "yesapp", "worker", "-n", f"{name}@%h", "-Q", "engine"]
    command += ["-P", "threads", "-c", "8", "--loglevel=INFO"]
    stack.procs[name] = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True
    )
    client = redis.Redis.from_url(stack.env["REDIS_URL"])
    stack.wait(lambda: any(client.scan_iter(f"yesapp:engine:node:{name}@*")), 120, f"{name} heartbeat")


def kill_node(stack: Stack, name: str) -> float:
    """The machine dies: its whole process group at once, then its disk. Returns the kill's
    unix time."""
    proc = stack.procs.pop(name)
    os.killpg(proc.pid, signal.SIGKILL)
    killed_at = time.time()
    proc.wait(30)
    data_dir = stack.tmp / "nodes" / name
    # Chromium runs in a session of its own and dies of its parent's death (pdeathsig) a moment
    # later: the disk goes once nothing writes there any more.
    stack.wait(lambda: not processes_using(data_dir), 30, f"{name}'s browsers gone", interval=0.05)
    shutil.rmtree(data_dir)
    return killed_at


def processes_using(data_dir) -> list[int]:
    marker = f"--user-data-dir={data_dir}/".encode()
    pids = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and marker in (proc / "cmdline").read_bytes():
                pids.append(int(proc.name))
        except OSError:
            continue
    return pids


def session(stack: Stack, session_id: str) -> dict:
    return stack.get(f"/api/v1/sessions/{session_id}").json()


def link(stack: Stack) -> str:
    response = stack.post("/api/v1/sessions", {"name": "failover", "sandbox": True})
    response.raise_for_status()
    session_id = response.json()["id"]
    stack.wait(lambda: session(stack, session_id).get("status") == "qr", 180, "qr")
    stack.post(f"/api/v1/sandbox/sessions/{session_id}/link", {"phone": "+33612345678"})
    stack.wait(lambda: session(stack, session_id).get("status") == "connected", 120, "connected")
    return session_id


def snapshots(stack: Stack) -> list[tuple[int, int, int]]:
    """(size in bytes, files, took_ms) of every stored snapshot, read from the stack's SQLite."""
    with sqlite3.connect(stack.tmp / "yesapp.sqlite3", timeout=30) as db:
        return db.execute("SELECT size, files, took_ms FROM sessions_app_profilesnapshot").fetchall()


def lease(stack: Stack, session_id: str) -> tuple[str, float]:
    """(owner, seconds left) of the session's lease."""
    client = redis.Redis.from_url(stack.env["REDIS_URL"])
    owner = client.get(LEASE_KEY.format(session_id))
    return (owner or b"").decode(), max(0, client.pttl(LEASE_KEY.format(session_id))) / 1000


def start_marks(stack: Stack, node: str, session_id: str) -> dict[str, float]:
    """The last `start marks` line the node logged for the session."""
    marks: dict[str, float] = {}
    prefix = f"Session {session_id} start marks "
    for line in (stack.tmp / f"{node}.log").read_text(errors="replace").splitlines():
        if prefix not in line:
            continue
        try:  # the nodes log JSON lines (LOG_FORMAT=json), or plain text
            message = json.loads(line).get("message", "")
        except ValueError:
            message = line
        if prefix in message:
            marks = json.loads(message.split(prefix, 1)[1])
    return marks


def logged_send(stack: Stack, node: str, session_id: str) -> dict[str, float] | None:
    marks = start_marks(stack, node, session_id)
    return marks if "first_send" in marks else None


def breakdown(killed_at: float, lease_left: float, marks: dict[str, float]) -> dict[str, float | None]:
    """Seconds from the kill to each step, the lease's expiry first."""
    steps = {"lease_expired": round(lease_left, 3)}
    for step in STEPS:
        steps[step] = round(marks[step] - killed_at, 3) if step in marks else None
    return steps


def one_takeover(stack: Stack, session_id: str, owner: str, standby: str) -> dict:
    read_at, (_, lease_left) = time.time(), lease(stack, session_id)
    killed_at = kill_node(stack, owner)
    lease_left -= killed_at - read_at  # what was left of it at the kill
    t0 = time.monotonic()
    sent = stack.post(f"/api/v1/sessions/{session_id}/messages", {"to": "+33698765432", "text": "during"})
    message_id = sent.json()["messageId"]

    def connected_on_standby():
        s = session(stack, session_id)
        return s.get("status") == "connected" and s.get("engineNode", "").startswith(f"{standby}@")

    stack.wait(connected_on_standby, 180, "connected on the standby", interval=0.05)
    connected = time.monotonic() - t0
    status = lambda: stack.get(f"/api/v1/sessions/{session_id}/messages/{message_id}").json().get("status")  # noqa: E731
    stack.wait(lambda: status() in ("sent", "delivered", "read"), 120, "message sent", interval=0.05)
    out = round(time.monotonic() - t0, 3)
    marks = stack.wait(lambda: logged_send(stack, standby, session_id), 10, "the standby's start marks")
    return {
        "connected_s": round(connected, 3),
        "first_message_out_s": out,
        "breakdown_s": breakdown(killed_at, lease_left, marks),
    }


def one_slow_node(stack: Stack, session_id: str, owner: str, stop_s: float) -> dict:
    """The owner frozen for `stop_s` seconds (SIGSTOP of its process group), then thawed: does
    it keep the session, and does it send?"""
    proc = stack.procs[owner]
    token_before = lease(stack, session_id)[0]
    os.killpg(proc.pid, signal.SIGSTOP)
    time.sleep(stop_s)
    os.killpg(proc.pid, signal.SIGCONT)
    t0 = time.monotonic()
    sent = stack.post(f"/api/v1/sessions/{session_id}/messages", {"to": "+33698765432", "text": "after"})
    message_id = sent.json()["messageId"]
    status = lambda: stack.get(f"/api/v1/sessions/{session_id}/messages/{message_id}").json().get("status")  # noqa: E731
    stack.wait(lambda: status() in ("sent", "delivered", "read"), 120, "message sent", interval=0.05)
    owner_after = lease(stack, session_id)[0]
    node_after = session(stack, session_id).get("engineNode", "")
    taken_over = owner_after != token_before or not node_after.startswith(f"{owner}@")
    out = round(time.monotonic() - t0, 3)
    return {"stopped_s": stop_s, "taken_over": taken_over, "message_out_after_thaw_s": out}


def lease_ttl(stack: Stack) -> float:
    return float(stack.env.get("ENGINE_LEASE_TTL", DEFAULT_TTL))


def summary(values: list[float]) -> dict:
    return {"p50": percentile(values, 50), "p95": percentile(values, 95), "max": max(values)}


def run(runs: int, slow_runs: int = 0, slow_stop: float | None = None) -> dict:
    stack = Stack(redis_db=int(os.environ.get("BENCH_REDIS_DB", "12")), engine_workers=0)
    # The harness shortens the scan for its other benches; this one measures the defaults.
    for name in ("ENGINE_SCAN_INTERVAL", "ENGINE_LEASE_TTL"):
        stack.env.pop(name, None)
        if name in os.environ:
            stack.env[name] = os.environ[name]
    stack.env.update(SECRET_KEY=SECRET, DATABASE_URL=f"sqlite:///{stack.tmp / 'yesapp.sqlite3'}")
    with stack:
        start_node(stack, "node0")
        session_id = link(stack)
        stack.wait(lambda: snapshots(stack), 120, "a first login snapshot")
        takeovers = []
        for i in range(runs):
            start_node(stack, f"node{i + 1}")
            takeovers.append(one_takeover(stack, session_id, f"node{i}", f"node{i + 1}"))
            print(takeovers[-1], flush=True)
        slow = []
        if slow_runs:
            stop_s = slow_stop if slow_stop is not None else lease_ttl(stack) / 2
            start_node(stack, f"node{runs + 1}")  # a standby that would take the session over
            for _ in range(slow_runs):
                slow.append(one_slow_node(stack, session_id, f"node{runs}", stop_s))
                print(slow[-1], flush=True)
        stored = snapshots(stack)
        if keep := os.environ.get("BENCH_KEEP_LOGS"):  # the nodes' logs, to explain a slow run
            shutil.copytree(stack.tmp, keep, ignore=shutil.ignore_patterns("nodes", "*.sqlite3*"))
    connected = [t["connected_s"] for t in takeovers]
    first_out = [t["first_message_out_s"] for t in takeovers]
    return {
        "runs": runs,
        "engine_lease_ttl_s": stack.env.get("ENGINE_LEASE_TTL", f"default ({DEFAULT_TTL})"),
        "engine_scan_interval_s": stack.env.get("ENGINE_SCAN_INTERVAL", "default (2.0)"),
        "killed_to_connected_elsewhere_s": summary(connected),
        "killed_to_first_message_out_s": summary(first_out),
        "breakdown_s": {
            step: summary(values)
            for step in ("lease_expired", *STEPS)
            if (values := [t["breakdown_s"][step] for t in takeovers if t["breakdown_s"][step] is not None])
        },
        "slow_node": {
            "runs": len(slow),
            "stopped_s": slow[0]["stopped_s"] if slow else None,
            "false_takeovers": sum(r["taken_over"] for r in slow),
            "runs_detail": slow,
        },
        "snapshots": [{"bytes": s, "files": f, "took_ms": ms} for s, f, ms in stored],
        "takeovers": takeovers,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--slow-runs", type=int, default=3, help="SIGSTOP runs of the live owner")
    parser.add_argument("--slow-stop", type=float, help="seconds frozen (default: ENGINE_LEASE_TTL / 2)")
    args = parser.parse_args()
    emit(run(args.runs, args.slow_runs, args.slow_stop), "failover")


if __name__ == "__main__":
    main()
