"""Soak: sandbox sessions with light traffic for a long time; memory per session over time.

Each session sends one message and receives one every few seconds. Every `--sample-every`
seconds the bench samples the PSS of each session's Chromium tree, its page's JS heap (used,
as the engine node reads it with `Performance.getMetrics` and reports it: the
yesapp:browser_js_heap hash behind /metrics), the engine worker's PSS, and the PSS and JS heap
of as many bare Chromium instances (bench/bare_chromium.py) running beside the stack for the
whole run. The result is each series' growth (least-squares slope) in MB per hour over the
whole run, and in % per hour after the warm-up (`--warmup` minutes, 10 by default: the target
of issue 23 is under 5 % per hour after the first 10 minutes), plus the ratio of a session's
PSS to bare Chromium's, and the browsers recycled for going over ENGINE_SESSION_MEMORY_MAX.

    python -m bench.soak_bench                                 # 5 sessions, 30 minutes
    python -m bench.soak_bench --sessions 2 --minutes 3 --sample-every 15
"""

import argparse
import statistics
import threading
import time

import redis

from bench.bare_chromium import bare_chromium
from bench.harness import Stack, browser_pids, emit, pss_kb, tree
from bench.messaging_bench import link_sessions

HEAP_KEY = "yesapp:browser_js_heap"  # sessions_app.engine.memory.HEAP_KEY


def slope_per_hour(samples: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, MB) samples, in MB per hour."""
    if len(samples) < 2:
        return 0.0
    xs, ys = [s[0] for s in samples], [s[1] for s in samples]
    mx, my = statistics.mean(xs), statistics.mean(ys)
    denominator = sum((x - mx) ** 2 for x in xs) or 1.0
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / denominator * 3600


def percent_per_hour(samples: list[tuple[float, float]], after_s: float) -> float | None:
    """The slope of the samples from `after_s` on, in % per hour of their mean."""
    kept = [s for s in samples if s[0] >= after_s and s[1] > 0]
    if len(kept) < 2:
        return None
    return round(slope_per_hour(kept) / statistics.mean(s[1] for s in kept) * 100, 2)


def traffic(stack: Stack, session_id: str, stop: threading.Event, every: float) -> None:
    n = 0
    while not stop.wait(every):
        stack.post(f"/api/v1/sessions/{session_id}/messages", {"to": "+33698765432", "text": f"soak {n}"})
        stack.post(
            f"/api/v1/sandbox/sessions/{session_id}/inbound", {"from": "+33698765432", "text": f"in {n}"}
        )
        n += 1


def js_heaps(client: redis.Redis) -> dict[str, float]:
    """Each session's last JS heap figure from its engine node, in MB."""
    return {sid.decode(): int(value.split()[0]) / 2**20 for sid, value in client.hgetall(HEAP_KEY).items()}


def bare_heap_mb(driver) -> float:
    metrics = driver.execute_cdp_cmd("Performance.getMetrics", {})["metrics"]
    return next((m["value"] for m in metrics if m["name"] == "JSHeapUsedSize"), 0) / 2**20


class Series:
    """Samples (seconds since the start, MB) by name."""

    def __init__(self):
        self.data: dict[str, list[tuple[float, float]]] = {}

    def add(self, name: str, t: float, mb: float | None) -> None:
        if mb is not None:
            self.data.setdefault(name, []).append((round(t, 1), round(mb, 2)))

    def of(self, name: str) -> list[tuple[float, float]]:
        return self.data.get(name, [])


def sample(series: Series, stack: Stack, ids: list[str], bare: tuple, client, now: float) -> None:
    heaps = js_heaps(client)
    for sid in ids:
        series.add(f"pss:{sid}", now, sum(pss_kb(p) for p in browser_pids(stack.tmp, sid)) / 1024)
        series.add(f"heap:{sid}", now, heaps.get(sid))
    series.add("worker", now, pss_kb(stack.procs["engine0"].pid) / 1024)
    roots, drivers = bare
    for i, (root, driver) in enumerate(zip(roots, drivers, strict=True)):
        series.add(f"bare_pss:{i}", now, sum(pss_kb(p) for p in tree(root)) / 1024)
        series.add(f"bare_heap:{i}", now, bare_heap_mb(driver))


def soak(stack: Stack, ids: list[str], bare: tuple, args) -> Series:
    client = redis.Redis.from_url(stack.env["REDIS_URL"])
    for driver in bare[1]:
        driver.execute_cdp_cmd("Performance.enable", {})
    stop = threading.Event()
    threads = [threading.Thread(target=traffic, args=(stack, sid, stop, args.every)) for sid in ids]
    for thread in threads:
        thread.start()
    series, started = Series(), time.monotonic()
    try:
        while time.monotonic() - started < args.minutes * 60:
            sample(series, stack, ids, bare, client, time.monotonic() - started)
            time.sleep(args.sample_every)
        sample(series, stack, ids, bare, client, time.monotonic() - started)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    return series


def summary(series: Series, ids: list[str], n_bare: int, warmup_s: float) -> dict:
    def pct(name: str) -> float | None:
        return percent_per_hour(series.of(name), warmup_s)

    def mean_of(values) -> float | None:
        values = [v for v in values if v is not None]
        return round(statistics.mean(values), 2) if values else None

    session_mb = mean_of(statistics.mean(y for _, y in series.of(f"pss:{sid}")) for sid in ids)
    bare_mb = mean_of(statistics.mean(y for _, y in series.of(f"bare_pss:{i}")) for i in range(n_bare))
    return {
        "slope_pct_per_hour_after_warmup": [pct(f"pss:{sid}") for sid in ids],
        "slope_pct_per_hour_after_warmup_mean": mean_of(pct(f"pss:{sid}") for sid in ids),
        "js_heap_mb_start_end": [
            [series.of(f"heap:{sid}")[0][1], series.of(f"heap:{sid}")[-1][1]]
            if series.of(f"heap:{sid}")
            else None
            for sid in ids
        ],
        "js_heap_growth_mb_per_hour": [round(slope_per_hour(series.of(f"heap:{sid}")), 2) for sid in ids],
        "js_heap_slope_pct_per_hour_after_warmup": [pct(f"heap:{sid}") for sid in ids],
        "bare_chromium_pss_slope_pct_per_hour_after_warmup": mean_of(
            pct(f"bare_pss:{i}") for i in range(n_bare)
        ),
        "bare_chromium_js_heap_slope_pct_per_hour_after_warmup": mean_of(
            pct(f"bare_heap:{i}") for i in range(n_bare)
        ),
        "bare_chromium_mean_pss_mb": bare_mb,
        "memory_ratio_to_bare_chromium": round(session_mb / bare_mb, 2) if session_mb and bare_mb else None,
    }


def recycles(stack: Stack) -> int:
    """Browsers recycled over ENGINE_SESSION_MEMORY_MAX during the run (/metrics)."""
    text = stack.get("/metrics").text
    return int(
        sum(
            float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line.startswith("yesapp_engine_recycles_total{")
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=5)
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--every", type=float, default=5.0, help="seconds between messages per session")
    parser.add_argument("--sample-every", type=float, default=60.0, help="seconds between samples")
    parser.add_argument("--redis-db", type=int, default=8, help="the Redis database the stack uses")
    parser.add_argument("--warmup", type=float, default=10.0, help="minutes left out of the % slope")
    args = parser.parse_args()
    # A run shorter than the warm-up keeps its last two thirds (a short run proves the bench works).
    warmup_min = min(args.warmup, args.minutes / 3)
    env = {"ENGINE_MAX_SESSIONS": str(max(args.sessions, 10)), "METRICS_ENABLED": "true", "METRICS_TOKEN": ""}
    with (
        bare_chromium(args.sessions, with_drivers=True) as bare,
        Stack(redis_db=args.redis_db, env=env, web_as_make_run=True) as stack,
    ):
        ids = link_sessions(stack, args.sessions)
        series = soak(stack, ids, bare, args)
        statuses = [stack.status(sid) for sid in ids]
        recycled = recycles(stack)
    pss = {sid: series.of(f"pss:{sid}") for sid in ids}
    worker = series.of("worker")
    emit(
        {
            "benchmark": "soak",
            "sessions": args.sessions,
            "minutes": args.minutes,
            "message_every_s": args.every,
            "sample_every_s": args.sample_every,
            "warmup_minutes": round(warmup_min, 2),
            "session_mb_start": [pss[sid][0][1] for sid in ids],
            "session_mb_end": [pss[sid][-1][1] for sid in ids],
            "growth_mb_per_session_per_hour": [round(slope_per_hour(pss[sid]), 1) for sid in ids],
            "engine_worker_mb_start_end": [worker[0][1], worker[-1][1]],
            "engine_worker_growth_mb_per_hour": round(slope_per_hour(worker), 1),
            **summary(series, ids, args.sessions, warmup_min * 60),
            "recycles": recycled,
            "statuses_at_end": statuses,
            "series": series.data,
        },
        "soak",
    )


if __name__ == "__main__":
    main()
