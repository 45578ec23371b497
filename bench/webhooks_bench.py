"""Webhooks benchmark: how long an event takes to reach the receiver.

1. outbox → receiver: events emitted (committed) by this process at a steady rate over
   several sessions; latency from the commit to the receiver's arrival time. This is the
   webhooks pipeline alone (outbox row, Celery nudge, worker claim, signed POST).
2. burst: many events at once over several sessions; p99 and time to drain.
3. sandbox → receiver: a sandbox contact sends a message (`POST /sandbox/.../inbound`) and
   the receiver gets `message.received`: page event, engine, messaging and webhooks together
   (upper bound: it includes the HTTP call and the sandbox page's poll interval).
4. burst with sandbox: a second burst while the sandbox contact writes (`burst_with_sandbox`).

    python -m bench.webhooks_bench                  # 1,000 events steady, 1,000 in a burst
    python -m bench.webhooks_bench --events 300 --sessions 10 --rate 50
"""

import argparse
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from bench.harness import Stack, emit, percentiles


class Receiver:
    """Records when each messageId arrived (time.monotonic is system-wide on Linux)."""

    def __init__(self):
        self.arrived: dict[str, float] = {}
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                now = time.monotonic()
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with receiver.lock:
                    # Benchmark events carry their key as messageId; sandbox messages in their text.
                    key = (
                        body.get("text")
                        if str(body.get("text", "")).startswith("sandbox-")
                        else body.get("messageId")
                    )
                    receiver.arrived.setdefault(str(key), now)
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, keys, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if all(key in self.arrived for key in keys):
                    return
            time.sleep(0.01)
        missing = [key for key in keys if key not in self.arrived]
        raise TimeoutError(f"{len(missing)} event(s) never arrived")


def burst_with_sandbox(stack, receiver, send, rows, session_id: str, *, burst: int, messages: int) -> dict:
    """Another burst, while a sandbox contact writes every 0.1 s from its start: the burst's
    figures, and how long the contact's messages take to reach the receiver meanwhile."""
    committed: dict[str, float] = {}

    def emit_burst() -> None:
        from django.db import connection

        for i in range(burst):
            committed[f"burst2-{i}"] = send(f"burst2-{i}", rows[i % len(rows)])
        connection.close()

    started = time.monotonic()
    emitter = threading.Thread(target=emit_burst)
    emitter.start()
    sent = {}
    for i in range(messages):
        text = f"sandbox-burst-{i}"
        sent[text] = time.monotonic()
        stack.post(f"/api/v1/sandbox/sessions/{session_id}/inbound", {"from": "+4915112345678", "text": text})
        time.sleep(0.1)
    emitter.join()
    try:
        receiver.wait(list(committed) + list(sent), timeout=120)
    except TimeoutError as exc:
        return {"skipped": str(exc)}
    return {
        "events": burst,
        **percentiles([receiver.arrived[k] - t for k, t in committed.items()]),
        "drained_s": round(max(receiver.arrived[k] for k in committed) - started, 3),
        "sandbox_inbound_to_receiver": percentiles([receiver.arrived[k] - t for k, t in sent.items()]),
    }


def run(*, events: int, sessions: int, rate: float, burst: int, sandbox_messages: int) -> dict:
    receiver = Receiver()
    env = {"WEBHOOK_ALLOW_PRIVATE": "true", "LOG_LEVEL": "WARNING"}
    if os.environ.get("BENCH_REDIS_URL"):
        env["REDIS_URL"] = os.environ["BENCH_REDIS_URL"]
    with Stack(redis_db=9, env=env) as stack:
        # This process emits into the stack's database, like an engine worker would.
        os.environ.update({k: stack.env[k] for k in ("DATA_DIR", "REDIS_URL", "WEBHOOK_ALLOW_PRIVATE")})
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yesapp.settings")
        import django

        django.setup()
        from django.db import transaction

        from sessions_app.models import Session
        from webhooks.services import webhook_configure
        from yesapp.events import MESSAGE_RECEIVED
        from yesapp.events import emit as emit_event

        # Stopped, so the engine node leaves them alone (no browsers): only the webhooks are measured.
        rows = [
            Session.objects.create(name=f"wh-bench-{i}", status="stopped", desired_state="stopped")
            for i in range(sessions)
        ]
        for row in rows:
            webhook_configure(session=row, url=receiver.url)

        def send(key: str, session) -> float:
            with transaction.atomic():
                emit_event(
                    MESSAGE_RECEIVED, session_id=session.pk, payload={"messageId": key, "text": "bench"}
                )
            return time.monotonic()

        for i in range(5):  # warm up the worker's connections
            send(f"warm-{i}", rows[i % sessions])
        receiver.wait([f"warm-{i}" for i in range(5)])

        committed = {}
        for i in range(events):
            key = f"steady-{i}"
            committed[key] = send(key, rows[i % sessions])
            time.sleep(max(0.0, 1 / rate - 0.001))
        receiver.wait(list(committed))
        steady = percentiles([receiver.arrived[k] - t for k, t in committed.items()])

        started = time.monotonic()
        committed = {f"burst-{i}": send(f"burst-{i}", rows[i % sessions]) for i in range(burst)}
        receiver.wait(list(committed))
        burst_result = {
            **percentiles([receiver.arrived[k] - t for k, t in committed.items()]),
            "drained_s": round(max(receiver.arrived[k] for k in committed) - started, 3),
        }

        sandbox = {"skipped": "sandbox session did not connect"}
        during = {"skipped": "sandbox session did not connect"}
        created = None
        if sandbox_messages:
            created = stack.post(
                "/api/v1/sessions",
                {"name": "wh-bench-sandbox", "sandbox": True, "webhook": {"url": receiver.url}},
            )
        if created is not None and created.ok:
            session_id = created.json()["id"]
            try:
                stack.wait(lambda: stack.status(session_id) == "qr", 120, "qr")
                stack.post(f"/api/v1/sandbox/sessions/{session_id}/link", {"phone": "+33612345600"})
                stack.wait(lambda: stack.status(session_id) == "connected", 120, "connected")
                sent = {}
                for i in range(sandbox_messages):
                    text = f"sandbox-{i}"
                    t0 = time.monotonic()
                    stack.post(
                        f"/api/v1/sandbox/sessions/{session_id}/inbound",
                        {"from": "+4915112345678", "text": text},
                    )
                    sent[text] = t0
                    time.sleep(0.2)
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline and not all(k in receiver.arrived for k in sent):
                    time.sleep(0.05)
                got = [receiver.arrived[k] - t for k, t in sent.items() if k in receiver.arrived]
                sandbox = percentiles(got) if got else {"skipped": "no message.received arrived"}
                during = burst_with_sandbox(
                    stack, receiver, send, rows, session_id, burst=burst, messages=sandbox_messages
                )
            except TimeoutError as exc:
                sandbox = {"skipped": str(exc)}
        return {
            "sessions": sessions,
            "commit_to_receiver": {"rate_per_s": rate, **steady},
            "burst": {"events": burst, **burst_result},
            "sandbox_inbound_to_receiver": sandbox,
            "burst_with_sandbox": during,
        }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--rate", type=float, default=20.0, help="events per second in the steady phase")
    parser.add_argument("--burst", type=int, default=1000)
    parser.add_argument("--sandbox-messages", type=int, default=20)
    args = parser.parse_args()
    result = run(
        events=args.events,
        sessions=args.sessions,
        rate=args.rate,
        burst=args.burst,
        sandbox_messages=args.sandbox_messages,
    )
    emit({"benchmark": "webhooks", **result}, "webhooks")


if __name__ == "__main__":
    main()
