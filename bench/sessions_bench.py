"""Sessions benchmark: N sandbox sessions on one engine node.

Measures time to `qr`, time to `connected` after the link, memory per session (PSS of each
session's Chromium process tree) and of the engine worker, CPU while idle (the engine node's
and the web server's) as a ratio to N bare Chromium instances measured in the same run
(bench/bare_chromium.py, before and after the stack), inbound message to stored row latency on
idle sessions, and the time to get back to `connected` after a browser is killed.

    python -m bench.sessions_bench            # N = 1, 5, 10
    python -m bench.sessions_bench --n 3 --redis-db 6
"""

import argparse
import os
import signal
import statistics
import threading
import time
from datetime import datetime

from bench.bare_chromium import measure as measure_bare_chromium
from bench.harness import Stack, browser_pids, cpu_seconds, emit, percentiles, pss_kb, tree

IDLE_SECONDS = 20


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


def idle_cpu_percent(engine_pid: int, web_pid: int, seconds: float = IDLE_SECONDS) -> tuple[float, float]:
    """Idle CPU of everything the engine node runs (worker + browsers) and of the web server
    (which answers the sandbox pages), over `seconds`, in % of one core."""
    engine, web = tree(engine_pid), tree(web_pid)
    before = sum(cpu_seconds(p) for p in engine), sum(cpu_seconds(p) for p in web)
    time.sleep(seconds)
    after = sum(cpu_seconds(p) for p in engine), sum(cpu_seconds(p) for p in web)
    return (after[0] - before[0]) / seconds * 100, (after[1] - before[1]) / seconds * 100


def stored_after(stack: Stack, session_id: str, sent: dict[str, float]) -> list[float]:
    """Seconds from each sent text to its stored row's createdAt (server clock, same machine)."""
    rows = stack.get(
        f"/api/v1/sessions/{session_id}/messages", params={"limit": 500, "direction": "inbound"}
    ).json()["items"]
    return [
        datetime.fromisoformat(row["createdAt"].replace("Z", "+00:00")).timestamp() - sent[row["text"]]
        for row in rows
        if row.get("text") in sent
    ]


def inbound_to_stored(stack: Stack, ids: list[str], per_session: int = 6, every: float = 1.5) -> dict:
    """Contacts write to idle sessions one message at a time (sessions staggered); ms from the
    sandbox inbound request to the stored row's createdAt."""
    sent = {sid: {} for sid in ids}

    def contact(sid: str, offset: float) -> None:
        time.sleep(offset)
        for n in range(per_session):
            text = f"idle {sid[:8]} {n}"
            sent[sid][text] = time.time()
            stack.post(f"/api/v1/sandbox/sessions/{sid}/inbound", {"from": "+33698765432", "text": text})
            time.sleep(every)

    threads = [
        threading.Thread(target=contact, args=(sid, i * every / len(ids))) for i, sid in enumerate(ids)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    time.sleep(3)  # the last ones stored
    latencies = [seconds for sid in ids for seconds in stored_after(stack, sid, sent[sid])]
    result = percentiles(latencies)
    result["lost"] = per_session * len(ids) - len(latencies)
    return result


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


def run(n: int, redis_db: int) -> dict:
    load_before = os.getloadavg()[0]
    bare_before = measure_bare_chromium(n, IDLE_SECONDS)
    # The web server as `make run` and Docker start it (ASGI): the sandbox pages' long polls.
    # Each session's first login snapshot (a tarball of its profile) is taken before the idle
    # window rather than in the middle of it.
    env = {"ENGINE_MAX_SESSIONS": str(max(n, 10)), "PROFILE_SNAPSHOT_FIRST_AFTER": "3"}
    with Stack(redis_db=redis_db, env=env, web_as_make_run=True) as stack:
        to_qr, to_connected = create_and_link(stack, n)
        time.sleep(15)  # let page loads and the first snapshots settle before measuring
        per_session_mb = [sum(pss_kb(p) for p in browser_pids(stack.tmp, sid)) / 1024 for sid in to_qr]
        engine_pid = stack.procs["engine0"].pid
        worker_mb = pss_kb(engine_pid) / 1024
        idle_cpu_pct, idle_web_pct = idle_cpu_percent(engine_pid, stack.procs["web"].pid)
        inbound = inbound_to_stored(stack, list(to_qr))
        browser_kill = browser_kill_recovery(stack, next(iter(to_qr)))
    bare = {"before": bare_before, "after": measure_bare_chromium(n, IDLE_SECONDS)}
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
        "idle_web_cpu_percent_of_one_core": round(idle_web_pct, 1),
        **ratios_to_bare(bare, idle_cpu_pct, idle_web_pct, statistics.mean(per_session_mb)),
        "inbound_to_stored_ms": inbound,
        "engine_push": os.environ.get("ENGINE_PUSH", "true"),
        "load_average_1m": {"before": round(load_before, 2), "after": round(os.getloadavg()[0], 2)},
    }


def ratios_to_bare(bare: dict, engine_cpu: float, web_cpu: float, session_mb: float) -> dict:
    """The run's figures over bare Chromium's (the mean of its runs before and after the stack)."""
    cpu = statistics.mean(b["idle_cpu_percent_of_one_core"] for b in bare.values())
    mb = statistics.mean(b["mean_pss_mb"] for b in bare.values())
    return {
        "bare_chromium": bare,
        "idle_cpu_ratio_to_bare_chromium": round(engine_cpu / cpu, 2) if cpu else None,
        "idle_cpu_with_web_ratio_to_bare_chromium": round((engine_cpu + web_cpu) / cpu, 2) if cpu else None,
        "memory_ratio_to_bare_chromium": round(session_mb / mb, 2) if mb else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, action="append", help="sessions (repeatable); default 1, 5, 10")
    parser.add_argument("--redis-db", type=int, default=8, help="the Redis database the stack uses")
    args = parser.parse_args()
    results = [run(n, args.redis_db) for n in (args.n or [1, 5, 10])]
    emit({"benchmark": "sessions", "results": results}, "sessions")


if __name__ == "__main__":
    main()
