"""API benchmark: requests/s and latency of `POST .../messages` and `GET .../messages` on
gunicorn, from concurrent clients on loopback (bounded in time; stops by itself).

    python -m bench.api_bench                      # 8 clients, 20 s per endpoint
    python -m bench.api_bench --clients 16 --seconds 30
"""

import argparse
import threading
import time

import requests

from bench.harness import Stack, emit
from bench.sessions_bench import percentile


def hammer(stack: Stack, method: str, path: str, body: dict | None, clients: int, seconds: float) -> dict:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client() -> None:
        http = requests.Session()
        http.headers.update(stack.headers())
        while time.monotonic() < stop_at:
            t0 = time.monotonic()
            response = http.request(method, stack.url + path, json=body, timeout=30)
            elapsed = (time.monotonic() - t0) * 1000
            with lock:
                latencies.append(elapsed)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    duration = time.monotonic() - started
    return {
        "requests": len(latencies),
        "requests_per_s": round(len(latencies) / duration, 1),
        "p50_ms": percentile(latencies, 50),
        "p99_ms": percentile(latencies, 99),
        "statuses": statuses,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()
    # Accepting is what is measured: the queue may grow, sending is the messaging benchmark's.
    env = {"QUEUE_MAX": "1000000", "RATE_LIMIT_PER_MINUTE": "0"}
    with Stack(redis_db=8, env=env) as stack:
        session_id = stack.post("/api/v1/sessions", {"name": "api", "sandbox": True}).json()["id"]
        stack.wait(lambda: stack.status(session_id) == "qr", 120, "qr")
        stack.post(f"/api/v1/sandbox/sessions/{session_id}/link", {"phone": "+33612345678"})
        stack.wait(lambda: stack.status(session_id) == "connected", 60, "connected")
        path = f"/api/v1/sessions/{session_id}/messages"
        post = hammer(stack, "POST", path, {"to": "+33698765432", "text": "load"}, args.clients, args.seconds)
        get = hammer(stack, "GET", path + "?limit=50", None, args.clients, args.seconds)
        emit(
            {
                "benchmark": "api",
                "clients": args.clients,
                "seconds_per_endpoint": args.seconds,
                "post_messages": post,
                "get_messages": get,
            },
            "api",
        )


if __name__ == "__main__":
    main()
