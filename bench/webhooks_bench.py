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


def setup_django_on(stack: Stack) -> None:
    """This process emits into the stack's database, like an engine worker would."""
    os.environ.update({k: stack.env[k] for k in ("DATA_DIR", "REDIS_URL", "WEBHOOK_ALLOW_PRIVATE")})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yesapp.settings")
    import django

    django.setup()


def sessions_with_webhooks(count: int, url: str) -> list:
    from sessions_app.models import Session
    from webhooks.services import webhook_configure

    # Stopped, so the engine node leaves them alone (no browsers): only the webhooks are measured.
    rows = [
        Session.objects.create(name=f"wh-bench-{i}", status="stopped", desired_state="stopped")
        for i in range(count)
    ]
    for row in rows:
        webhook_configure(session=row, url=url)
    return rows


def commit_event(key: str, session) -> float:
    """Emits message.received keyed `key` in a transaction; returns when it committed."""
    from django.db import transaction

    from yesapp.events import MESSAGE_RECEIVED
    from yesapp.events import emit as emit_event

    with transaction.atomic():
        emit_event(MESSAGE_RECEIVED, session_id=session.pk, payload={"messageId": key, "text": "bench"})
    return time.monotonic()


def measure_steady(receiver: Receiver, rows: list, *, events: int, rate: float) -> dict:
    committed = {}
    for i in range(events):
        key = f"steady-{i}"
        committed[key] = commit_event(key, rows[i % len(rows)])
        time.sleep(max(0.0, 1 / rate - 0.001))
    receiver.wait(list(committed))
    return percentiles([receiver.arrived[k] - t for k, t in committed.items()])


class QueueProbe:
    """The most delivery tasks waiting in the webhooks queue (all its priority lists) at once,
    sampled every 50 ms: a busy lane should have about one, not one per stray nudge."""

    LISTS = ("webhooks", "webhooks\x06\x163", "webhooks\x06\x166", "webhooks\x06\x169")

    def __init__(self, redis_url: str):
        import redis

        self.client = redis.Redis.from_url(redis_url)
        self.most = 0
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stopped.wait(0.05):
            with self.client.pipeline() as pipe:
                for name in self.LISTS:
                    pipe.llen(name)
                self.most = max(self.most, sum(pipe.execute()))

    def stop(self) -> int:
        self.stopped.set()
        self.thread.join()
        return self.most


def measure_burst(receiver: Receiver, rows: list, *, burst: int, redis_url: str) -> dict:
    probe = QueueProbe(redis_url)
    started = time.monotonic()
    committed = {f"burst-{i}": commit_event(f"burst-{i}", rows[i % len(rows)]) for i in range(burst)}
    receiver.wait(list(committed))
    return {
        "queued_tasks_max": probe.stop(),
        **percentiles([receiver.arrived[k] - t for k, t in committed.items()]),
        "drained_s": round(max(receiver.arrived[k] for k in committed) - started, 3),
        # How long this process took to commit them: drained_s cannot be shorter.
        "committed_s": round(max(committed.values()) - started, 3),
    }


def measure_sandbox_inbound(stack: Stack, receiver: Receiver, *, messages: int) -> tuple[dict, str | None]:
    """From a sandbox contact's message to the receiver, through the whole product; and the
    sandbox session, when it connected."""
    created = stack.post(
        "/api/v1/sessions", {"name": "wh-bench-sandbox", "sandbox": True, "webhook": {"url": receiver.url}}
    )
    if created is None or not created.ok:
        return {"skipped": "sandbox session did not connect"}, None
    session_id = created.json()["id"]
    try:
        stack.wait(lambda: stack.status(session_id) == "qr", 120, "qr")
        stack.post(f"/api/v1/sandbox/sessions/{session_id}/link", {"phone": "+33612345600"})
        stack.wait(lambda: stack.status(session_id) == "connected", 120, "connected")
    except TimeoutError as exc:
        return {"skipped": str(exc)}, None
    sent = {}
    for i in range(messages):
        text = f"sandbox-{i}"
        t0 = time.monotonic()
        stack.post(f"/api/v1/sandbox/sessions/{session_id}/inbound", {"from": "+4915112345678", "text": text})
        sent[text] = t0
        time.sleep(0.2)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not all(k in receiver.arrived for k in sent):
        time.sleep(0.05)
    got = [receiver.arrived[k] - t for k, t in sent.items() if k in receiver.arrived]
    return (percentiles(got) if got else {"skipped": "no message.received arrived"}), session_id


def burst_with_sandbox(stack: Stack, receiver: Receiver, rows: list, session_id: str, *, burst: int) -> dict:
    """Another burst, while a sandbox contact writes every 0.1 s from its start: the burst's
    figures, and how long the contact's messages take to reach the receiver meanwhile."""
    committed: dict[str, float] = {}

    def emit_burst() -> None:
        from django.db import connection

        for i in range(burst):
            committed[f"burst2-{i}"] = commit_event(f"burst2-{i}", rows[i % len(rows)])
        connection.close()

    started = time.monotonic()
    emitter = threading.Thread(target=emit_burst)
    emitter.start()
    sent = {}
    while emitter.is_alive() or not sent:
        text = f"sandbox-burst-{len(sent)}"
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
    load_start = round(os.getloadavg()[0], 2)  # figures on a loaded machine mean little
    receiver = Receiver()
    env = {"WEBHOOK_ALLOW_PRIVATE": "true", "LOG_LEVEL": "WARNING"}
    if os.environ.get("BENCH_REDIS_URL"):
        env["REDIS_URL"] = os.environ["BENCH_REDIS_URL"]
    with Stack(redis_db=9, env=env) as stack:
        setup_django_on(stack)
        rows = sessions_with_webhooks(sessions, receiver.url)
        for i in range(5):  # warm up the worker's connections
            commit_event(f"warm-{i}", rows[i % sessions])
        receiver.wait([f"warm-{i}" for i in range(5)])
        steady = measure_steady(receiver, rows, events=events, rate=rate)
        burst_result = measure_burst(receiver, rows, burst=burst, redis_url=stack.env["REDIS_URL"])
        sandbox, sandbox_session = {"skipped": "sandbox session did not connect"}, None
        if sandbox_messages:
            sandbox, sandbox_session = measure_sandbox_inbound(stack, receiver, messages=sandbox_messages)
        during = {"skipped": "sandbox session did not connect"}
        if sandbox_session:
            during = burst_with_sandbox(stack, receiver, rows, sandbox_session, burst=burst)
        return {
            "load_average_1min": {"start": load_start, "end": round(os.getloadavg()[0], 2)},
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
