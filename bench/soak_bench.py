"""Soak: sandbox sessions with light traffic for a long time; memory per session over time.

Each session sends one message and receives one every few seconds. Every minute the PSS of
each session's Chromium tree and of the engine worker is sampled; the result is the growth
per session per hour (least-squares slope), which is what users report for long-running
WhatsApp Web sessions.

    python -m bench.soak_bench                       # 3 sessions, 30 minutes
    python -m bench.soak_bench --sessions 2 --minutes 5
"""

import argparse
import statistics
import threading
import time

from bench.harness import Stack, browser_pids, emit, pss_kb
from bench.messaging_bench import link_sessions


def slope_per_hour(samples: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, MB) samples, in MB per hour."""
    if len(samples) < 2:
        return 0.0
    xs, ys = [s[0] for s in samples], [s[1] for s in samples]
    mx, my = statistics.mean(xs), statistics.mean(ys)
    denominator = sum((x - mx) ** 2 for x in xs) or 1.0
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / denominator * 3600


def traffic(stack: Stack, session_id: str, stop: threading.Event, every: float) -> None:
    n = 0
    while not stop.wait(every):
        stack.post(f"/api/v1/sessions/{session_id}/messages", {"to": "+33698765432", "text": f"soak {n}"})
        stack.post(
            f"/api/v1/sandbox/sessions/{session_id}/inbound", {"from": "+33698765432", "text": f"in {n}"}
        )
        n += 1


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=3)
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--every", type=float, default=5.0, help="seconds between messages per session")
    args = parser.parse_args()
    with Stack(redis_db=8) as stack:
        ids = link_sessions(stack, args.sessions)
        stop = threading.Event()
        threads = [threading.Thread(target=traffic, args=(stack, sid, stop, args.every)) for sid in ids]
        for thread in threads:
            thread.start()
        samples: dict[str, list[tuple[float, float]]] = {sid: [] for sid in ids}
        worker: list[tuple[float, float]] = []
        started = time.monotonic()
        try:
            while time.monotonic() - started < args.minutes * 60:
                now = time.monotonic() - started
                for sid in ids:
                    samples[sid].append((now, sum(pss_kb(p) for p in browser_pids(stack.tmp, sid)) / 1024))
                worker.append((now, pss_kb(stack.procs["engine0"].pid) / 1024))
                time.sleep(60)
        finally:
            stop.set()
            for thread in threads:
                thread.join()
        statuses = [stack.status(sid) for sid in ids]
        emit(
            {
                "benchmark": "soak",
                "sessions": args.sessions,
                "minutes": args.minutes,
                "message_every_s": args.every,
                "session_mb_start": [round(samples[sid][0][1], 1) for sid in ids],
                "session_mb_end": [round(samples[sid][-1][1], 1) for sid in ids],
                "growth_mb_per_session_per_hour": [round(slope_per_hour(samples[sid]), 1) for sid in ids],
                "engine_worker_mb_start_end": [round(worker[0][1], 1), round(worker[-1][1], 1)],
                "engine_worker_growth_mb_per_hour": round(slope_per_hour(worker), 1),
                "statuses_at_end": statuses,
            },
            "soak",
        )


if __name__ == "__main__":
    main()
