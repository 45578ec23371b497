"""Web benchmark: does the web server keep answering while sends wait on the outside world?

The web server runs exactly as `make run` starts it (scripts/serve.sh web: gunicorn, 2
workers x 4 threads). Two probe clients call `GET /health` and `GET /api/v1/sessions` (with a
key of their own) back to back, first on a quiet server (baseline), then while 16 sends at
once give a media URL that drips one byte a second (a local server) and the worker fetches
them (each until MEDIA_URL_TIMEOUT). Reports p50/p95/p99/max of each probe in both phases, the
ratio loaded/baseline of p99, and how long the 16 sends took to be accepted. Aim: p99 < 200 ms
under the drip. The per-key rate limit is on (API_RATE_LIMIT=20, its default).

    python -m bench.web_bench                      # 15 s per phase
    python -m bench.web_bench --seconds 30 --sends 32 --redis-db 12
"""

from __future__ import annotations

import argparse
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from bench.harness import Stack, emit, percentiles
from yesapp.tests.helpers import DripServer

AIM_P99_MS = 200.0
# Pause between two calls of one probe client: the probes observe the server, not load it.
PROBE_PAUSE_S = 0.02


def probe_for(url: str, headers: dict, seconds: float) -> dict:
    """Calls `url` back to back for `seconds`; latencies of 200 answers, and the rest counted."""
    latencies: list[float] = []
    failures = 0
    until = time.monotonic() + seconds
    with requests.Session() as http:
        while time.monotonic() < until:
            started = time.monotonic()
            try:
                ok = http.get(url, headers=headers, timeout=30).status_code == 200
            except requests.RequestException:
                ok = False
            if ok:
                latencies.append(time.monotonic() - started)
            else:
                failures += 1
            time.sleep(PROBE_PAUSE_S)
    return {**percentiles(latencies), "failures": failures}


def probe_both(stack: Stack, reader_key: str, seconds: float) -> dict:
    results: dict[str, dict] = {}
    targets = {
        "health": (f"{stack.url}/health", {}),
        "get_sessions": (f"{stack.url}/api/v1/sessions", {"X-API-Key": reader_key}),
    }

    def run(name: str) -> None:
        url, headers = targets[name]
        results[name] = probe_for(url, headers, seconds)

    threads = [threading.Thread(target=run, args=(name,)) for name in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def send_dripping(stack: Stack, session_id: str, url: str, sends: int) -> dict:
    body = {"to": "+33612345678", "queue": True, "media": {"type": "image", "url": url}}

    def send(_):
        started = time.monotonic()
        answer = requests.post(
            f"{stack.url}/api/v1/sessions/{session_id}/messages",
            json=body,
            headers=stack.headers(),
            timeout=60,
        )
        return answer.status_code, time.monotonic() - started

    with ThreadPoolExecutor(sends) as pool:
        answers = list(pool.map(send, range(sends)))
    statuses: dict[int, int] = {}
    for status, _ in answers:
        statuses[status] = statuses.get(status, 0) + 1
    return {"statuses": statuses, **percentiles([elapsed for _, elapsed in answers])}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=15, help="probing time per phase")
    parser.add_argument("--sends", type=int, default=16, help="sends at once with a dripping media URL")
    parser.add_argument("--redis-db", type=int, default=8, help="the Redis database the stack uses (flushed)")
    args = parser.parse_args()
    env = {"MEDIA_URL_ALLOW_PRIVATE": "true", "API_RATE_LIMIT": "20", "API_RATE_LIMIT_BURST": "40"}
    drip = DripServer("body", every=1.0)
    try:
        with Stack(redis_db=args.redis_db, engine_workers=0, env=env, web_as_make_run=True) as stack:
            reader_key = stack.manage("createapikey", "--name", "reader").split("API Key:", 1)[1].split()[0]
            session_id = stack.post("/api/v1/sessions", {"name": "web", "sandbox": True}).json()["id"]
            baseline = probe_both(stack, reader_key, args.seconds)
            loaded: dict = {}
            prober = threading.Thread(
                target=lambda: loaded.update(probe_both(stack, reader_key, args.seconds))
            )
            prober.start()
            time.sleep(0.5)  # the probes are running when the sends arrive
            sends = send_dripping(stack, session_id, drip.url, args.sends)
            prober.join()
    finally:
        drip.close()
    emit(
        {
            "benchmark": "web",
            "web_server": "scripts/serve.sh web (as make run)",
            "seconds_per_phase": args.seconds,
            "dripping_sends": {"count": args.sends, "accepted": sends},
            "baseline": baseline,
            "under_drip": loaded,
            "ratios_p99_under_drip_to_baseline": {
                name: round(loaded[name]["p99_ms"] / max(baseline[name]["p99_ms"], 0.1), 2)
                for name in baseline
            },
            "aim_p99_ms": AIM_P99_MS,
            "aim_met": all(loaded[name]["p99_ms"] < AIM_P99_MS for name in loaded),
        },
        "web",
    )


if __name__ == "__main__":
    main()
