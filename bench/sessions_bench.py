"""Sessions benchmark: N sandbox sessions on one engine node.

Measures time to `qr`, time to `connected` after the link, memory per session (PSS of each
session's Chromium process tree) and of the engine worker, CPU while idle, and the time to
get back to `connected` after a browser is killed.

    python -m bench.sessions_bench            # N = 1, 5, 10
    python -m bench.sessions_bench --n 3
"""

import argparse
import os
import signal
import statistics
import time

from bench.harness import Stack, browser_pids, cpu_seconds, emit, pss_kb, tree


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))], 3)


def create_and_link(stack: Stack, n: int) -> tuple[dict[str, float], list[float]]:
    """Creates and links `n` sandbox sessions; each one's seconds to its QR and to connected."""
    created = {}
    for i in range(n):
        response = stack.post("/api/v1/sessions", {"name": f"bench-{i}", "sandbox": True})
        response.raise_for_status()
        created[response.json()["id"]] = time.monotonic()
    to_qr = {}
    for session_id, t0 in created.items():
        stack.wait(lambda sid=session_id: stack.status(sid) == "qr", 180, "qr")
        to_qr[session_id] = time.monotonic() - t0
    to_connected = []
    for i, session_id in enumerate(created):
        t0 = time.monotonic()
        stack.post(f"/api/v1/sandbox/sessions/{session_id}/link", {"phone": f"+336123456{i:02d}"})
        stack.wait(lambda sid=session_id: stack.status(sid) == "connected", 120, "connected")
        to_connected.append(time.monotonic() - t0)
    return to_qr, to_connected


def idle_cpu_percent(engine_pid: int, seconds: float = 10) -> float:
    """Idle CPU of everything the engine node runs (worker + browsers), over `seconds`."""
    before = sum(cpu_seconds(p) for p in tree(engine_pid))
    time.sleep(seconds)
    return (sum(cpu_seconds(p) for p in tree(engine_pid)) - before) / seconds * 100


def browser_kill_recovery(stack: Stack, victim: str) -> dict:
    """Kills one session's browser; seconds until it is noticed and until connected again."""
    for pid in browser_pids(stack.tmp, victim):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    t0 = time.monotonic()
    stack.wait(lambda: stack.status(victim) != "connected", 60, "crash noticed", interval=0.02)
    noticed = time.monotonic() - t0
    stack.wait(lambda: stack.status(victim) == "connected", 120, "reconnected", interval=0.05)
    return {"noticed_s": round(noticed, 3), "connected_again_s": round(time.monotonic() - t0, 3)}


def run(n: int) -> dict:
    with Stack(redis_db=8, env={"ENGINE_MAX_SESSIONS": str(max(n, 10))}) as stack:
        to_qr, to_connected = create_and_link(stack, n)
        time.sleep(5)  # let page loads settle before measuring
        per_session_mb = [sum(pss_kb(p) for p in browser_pids(stack.tmp, sid)) / 1024 for sid in to_qr]
        engine_pid = stack.procs["engine0"].pid
        worker_mb = pss_kb(engine_pid) / 1024
        idle_cpu_pct = idle_cpu_percent(engine_pid)
        browser_kill = browser_kill_recovery(stack, next(iter(to_qr)))
        qr_times = list(to_qr.values())
        return {
            "sessions": n,
            "time_to_qr_s": {"p50": percentile(qr_times, 50), "max": round(max(qr_times), 3)},
            "time_to_connected_after_link_s": {
                "p50": percentile(to_connected, 50),
                "max": round(max(to_connected), 3),
            },
            "memory_per_session_mb": {
                "mean": round(statistics.mean(per_session_mb), 1),
                "max": round(max(per_session_mb), 1),
            },
            "engine_worker_mb": round(worker_mb, 1),
            "idle_cpu_percent_of_one_core": round(idle_cpu_pct, 1),
            "browser_kill": browser_kill,
        }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, action="append", help="sessions (repeatable); default 1, 5, 10")
    args = parser.parse_args()
    results = [run(n) for n in (args.n or [1, 5, 10])]
    emit({"benchmark": "sessions", "results": results}, "sessions")


if __name__ == "__main__":
    main()
