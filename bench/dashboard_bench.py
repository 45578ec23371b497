"""Dashboard benchmark: server time of every page and polled fragment (target: far below 300 ms;
the Chats pages, which a shop keeps open all day: 100 ms).

Seeds a private SQLite database (its own DATA_DIR, Redis DB 8) with a busy day: sessions in
every status, messages spread over the last 24 h (most on one session, in 1,000 chats),
webhook deliveries,
and a log file of several MB. Then requests each page in-process through Django's test client
(the full middleware stack, no network) and prints p50/p95/max per URL as JSON.

    python -m bench.dashboard_bench
    python -m bench.dashboard_bench --messages 200000 --rounds 30
    python -m bench.dashboard_bench --chats 5000 --redis-url redis://127.0.0.1:6379/4
"""

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def seed_sessions(count: int, now) -> list:
    """`count` sessions in every status; the first, connected, is the busy one."""
    from sessions_app.models import Session, SessionStatus

    statuses = list(SessionStatus.values)
    rows = [
        Session(
            name=f"session-{i:02d}",
            sandbox=i % 2 == 0,
            status=statuses[i % len(statuses)],
            phone=f"+3361234{i:04d}",
            last_activity_at=now,
        )
        for i in range(count)
    ]
    Session.objects.bulk_create(rows)
    Session.objects.filter(pk=rows[0].pk).update(status=SessionStatus.CONNECTED)
    return rows


def seed_messages(rows: list, count: int, now, chats: int) -> None:
    from django.db import connection

    from messaging.models import Direction, Message, MessageStatus

    busy, batch = rows[0], []
    for i in range(count):
        # Three quarters on the busiest session, the rest spread out.
        session = busy if i % 4 else rows[i % len(rows)]
        # Each chat gets both: in one round over the chats every message is ours, in the next theirs.
        outbound = (i // chats) % 2 == 0
        at = now - timedelta(seconds=random.randint(0, 86_000))
        batch.append(
            Message(
                session=session,
                direction=Direction.OUTBOUND if outbound else Direction.INBOUND,
                chat_id=f"49151{i % chats:07d}@c.us",
                phone=f"+49151{i % chats:07d}",
                contact_name="" if outbound else f"Customer {i % chats}",
                text=f"message {i} " + "lorem ipsum " * 5,
                status=MessageStatus.READ if outbound else MessageStatus.RECEIVED,
                sent_at=at if outbound else None,
            )
        )
        if len(batch) == 5000:
            Message.objects.bulk_create(batch)
            batch = []
    Message.objects.bulk_create(batch)
    # created_at is auto_now_add: spread it over the last day (SQLite, the embedded default), in
    # the text form Django writes (microseconds: six digits), so lookups by the value match.
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE messaging_message SET created_at = "
                "strftime('%Y-%m-%d %H:%M:%f', 'now', '-' || (abs(random()) % 86000) || ' seconds') || '000'"
            )


def seed_deliveries(busy, count: int, now) -> None:
    from webhooks.models import DeliveryStatus, WebhookConfig, WebhookDelivery

    config = WebhookConfig.objects.create(session=busy, url="http://127.0.0.1:9/hook", secret="s" * 32)
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            config=config,
            session=busy,
            event="message.received",
            body="{}",
            status=DeliveryStatus.SUCCEEDED if i % 10 else DeliveryStatus.FAILED,
            attempts=1,
            next_attempt_at=now,
            last_status_code=200 if i % 10 else 500,
        )
        for i in range(count)
    )


def seed_log(log_mb: int) -> None:
    """A JSON log of `log_mb` MB, one error line in 500."""
    from django.conf import settings

    log = Path(settings.LOG_DIR) / "yesapp.log"
    line = json.dumps(
        {
            "timestamp": "2026-11-27T10:00:00.000Z",
            "level": "INFO",
            "logger": "yesapp.access",
            "message": "GET /api/v1/sessions 200 3.1ms",
            "request_id": "0" * 32,
            "path": "/api/v1/sessions",
        }
    )
    error = line.replace('"INFO"', '"ERROR"')
    with log.open("w") as handle:
        for i in range(log_mb * 1024 * 1024 // len(line)):
            handle.write((error if i % 500 == 0 else line) + "\n")


def seed(*, sessions: int, messages: int, chats: int, deliveries: int, log_mb: int) -> dict:
    from django.utils import timezone

    now = timezone.now()
    rows = seed_sessions(sessions, now)
    seed_messages(rows, messages, now, chats)
    seed_deliveries(rows[0], deliveries, now)
    seed_log(log_mb)
    return {"busy_session": str(rows[0].pk), "busy_chat": f"49151{1:07d}@c.us"}


def measure(client, url: str, rounds: int) -> dict:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        response = client.get(url, HTTP_X_REQUESTED_WITH="fetch" if "/table" in url or "?" in url else "")
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    times.sort()
    return {
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[min(len(times) - 1, int(len(times) * 0.95))], 1),
        "max_ms": round(times[-1], 1),
    }


CHATS_TARGET_MS = 100

PAGES = [
    "/",
    "/sessions/table",
    "/sessions/{busy}/",
    "/sessions/{busy}/header",
    "/sessions/{busy}/link",
    "/sessions/{busy}/messages?direction=all",
    "/sessions/{busy}/messages?direction=inbound",
    "/sessions/{busy}/webhook/deliveries",
    "/stats/",
    "/stats/panel",
    "/logs/",
    "/logs/table?level=error",
    "/sessions/{busy}/chats/",
    "/sessions/{busy}/chats/list?open=",
    "/sessions/{busy}/chats/{chat}/",
    "/sessions/{busy}/chats/{chat}/thread",
]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--chats", type=int, default=1000, help="Chats the messages spread over.")
    parser.add_argument("--deliveries", type=int, default=20_000)
    parser.add_argument("--log-mb", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument(
        "--redis-url", default="redis://127.0.0.1:6379/8", help="A Redis database of its own."
    )
    return parser.parse_args()


def setup_django_in_a_fresh_data_dir(redis_url: str) -> None:
    data_dir = tempfile.mkdtemp(prefix="yesapp-bench-dashboard-")
    os.environ.update(DATA_DIR=data_dir, REDIS_URL=redis_url, LOG_LEVEL="WARNING")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yesapp.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def signed_in_client():
    from django.test import Client

    from yesapp.apikeys import apikey_create

    _, raw_key = apikey_create(name="bench")
    client = Client(SERVER_NAME="localhost")  # an allowed host
    assert client.post("/login/", {"method": "key", "key-api_key": raw_key}).status_code == 302
    return client


def main() -> None:
    args = parse_args()
    setup_django_in_a_fresh_data_dir(args.redis_url)
    started = time.perf_counter()
    seeded = seed(
        sessions=args.sessions,
        messages=args.messages,
        chats=args.chats,
        deliveries=args.deliveries,
        log_mb=args.log_mb,
    )
    seed_s = round(time.perf_counter() - started, 1)
    client = signed_in_client()
    urls = [page.format(busy=seeded["busy_session"], chat=seeded["busy_chat"]) for page in PAGES]
    for url in urls:  # warm-up: template compilation, first queries
        client.get(url)
    results = {url: measure(client, url, args.rounds) for url in urls}
    report = {
        "benchmark": "dashboard",
        "seed": {**vars(args), "seconds": seed_s},
        "target_ms": 300,
        "pages": results,
        "worst_p95_ms": max(r["p95_ms"] for r in results.values()),
        "chats_target_ms": CHATS_TARGET_MS,
        "chats_worst_p50_ms": max(r["p50_ms"] for url, r in results.items() if "/chats/" in url),
    }
    print(json.dumps(report, indent=2))
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "dashboard.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
