"""Failover benchmark: a node dies, another one with an empty disk takes its session over.

One sandbox session, engine nodes each with a DATA_DIR of their own (nothing shared but the
database and Redis), ENGINE_LEASE_TTL and ENGINE_SCAN_INTERVAL at their defaults (or as set in
the environment). Each run: the owning node's process group is SIGKILLed and its data
directory deleted while a standby node runs; a message is sent at that moment. Measured from
the kill: the session `connected` on the standby (login restored from the database snapshot,
no scan), and that message `sent`. Also the login snapshots' size and time.

    python -m bench.failover_bench            # 5 runs
    python -m bench.failover_bench --runs 3
"""

import argparse
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


def kill_node(stack: Stack, name: str) -> None:
    """The machine dies: its whole process group at once, then its disk."""
    proc = stack.procs.pop(name)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(30)
    data_dir = stack.tmp / "nodes" / name
    # Chromium runs in a session of its own and dies of its parent's death (pdeathsig) a moment
    # later: the disk goes once nothing writes there any more.
    stack.wait(lambda: not processes_using(data_dir), 30, f"{name}'s browsers gone", interval=0.05)
    shutil.rmtree(data_dir)


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


def one_takeover(stack: Stack, session_id: str, owner: str, standby: str) -> dict:
    kill_node(stack, owner)
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
    return {"connected_s": round(connected, 3), "first_message_out_s": round(time.monotonic() - t0, 3)}


def run(runs: int) -> dict:
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
        stored = snapshots(stack)
        if keep := os.environ.get("BENCH_KEEP_LOGS"):  # the nodes' logs, to explain a slow run
            shutil.copytree(stack.tmp, keep, ignore=shutil.ignore_patterns("nodes", "*.sqlite3*"))
    connected = [t["connected_s"] for t in takeovers]
    first_out = [t["first_message_out_s"] for t in takeovers]
    return {
        "runs": runs,
        "engine_lease_ttl_s": stack.env.get("ENGINE_LEASE_TTL", "default (15)"),
        "engine_scan_interval_s": stack.env.get("ENGINE_SCAN_INTERVAL", "default (2.0)"),
        "killed_to_connected_elsewhere_s": {"p50": percentile(connected, 50), "max": max(connected)},
        "killed_to_first_message_out_s": {"p50": percentile(first_out, 50), "max": max(first_out)},
        "snapshots": [{"bytes": s, "files": f, "took_ms": ms} for s, f, ms in stored],
        "takeovers": takeovers,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    emit(run(parser.parse_args().runs), "failover")


if __name__ == "__main__":
    main()
