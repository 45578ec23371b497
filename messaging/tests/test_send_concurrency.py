"""POST .../messages under concurrent requests: QUEUE_MAX is never passed and one
Idempotency-Key gives one message, whatever the interleaving (PostgreSQL pass too: the row
lock is NO KEY UPDATE there; on SQLite, one writer per process at a time and IMMEDIATE
transactions). Also what one text send asks the database: a fixed, short list."""

import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from messaging.admission import QueueFull
from messaging.models import Message
from messaging.services import message_send

THREADS = 8


def _race(fn, n: int = THREADS) -> list:
    """Runs fn(i) in n threads started together; returns each result or the exception raised."""
    start = threading.Barrier(n)

    def run(i):
        start.wait(10)
        try:
            return fn(i)
        except Exception as exc:
            return exc
        finally:
            connections.close_all()  # this thread's connection

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(run, range(n)))


@pytest.mark.django_db(transaction=True)
def test_concurrent_sends_never_queue_more_than_queue_max(session, settings):
    settings.QUEUE_MAX = 3
    Message.objects.create(session=session, direction="outbound", status="sending", chat_id="1@c.us")

    results = _race(lambda i: message_send(session=session, to="+33612345678", text=f"m{i}"))

    accepted = [r for r in results if isinstance(r, tuple)]
    refused = [r for r in results if isinstance(r, QueueFull)]
    assert len(accepted) == 2 and len(refused) == THREADS - 2, results
    assert Message.objects.filter(session=session, status__in=["queued", "sending"]).count() == 3


@pytest.mark.django_db(transaction=True)
def test_concurrent_sends_with_one_idempotency_key_store_one_message(session):
    results = _race(
        lambda i: message_send(session=session, to="+33612345678", text=f"pay {i}", idempotency_key="order-7")
    )

    assert all(isinstance(r, tuple) for r in results), results
    assert len({message.pk for message, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    assert Message.objects.filter(session=session).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_sends_with_distinct_keys_each_store_theirs_within_queue_max(session, settings):
    settings.QUEUE_MAX = 5

    results = _race(
        lambda i: message_send(session=session, to="+33612345678", text="x", idempotency_key=f"k{i % 4}")
    )

    stored = Message.objects.filter(session=session)
    assert stored.count() == 4  # four keys, each once; QUEUE_MAX (5) not reached
    assert {m.idempotency_key for m in stored} == {"k0", "k1", "k2", "k3"}
    by_key = {m.idempotency_key: m.pk for m in stored}
    for i, (message, _) in enumerate(results):
        assert message.pk == by_key[f"k{i % 4}"]


def test_a_text_send_asks_a_short_fixed_list_of_queries(api, session):
    """Before issue 23.3 a text send made 13 queries, 3 of them aggregates over the session's
    or the chat's messages (the sending policy's counts, the chat's history, QUEUE_MAX twice).
    Now: the key, the session, a recent absent-number check, the sending policy, then the
    write transaction (lock the session row, count the backlog up to QUEUE_MAX, insert) and the
    answer's LID lookup."""
    url = f"/api/v1/sessions/{session.pk}/messages"
    api.post(url, {"to": "+33612345678", "text": "first"}, format="json")

    with CaptureQueriesContext(connection) as captured:
        response = api.post(url, {"to": "+33612345678", "text": "Hello"}, format="json")

    assert response.status_code == 202
    sql = [q["sql"] for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]]
    tables = [_table(s) for s in sql]
    assert tables == [
        "yesapp_apikey",
        "sessions_app_session",
        "messaging_numbercheck",
        "messaging_sendingpolicy",
        "sessions_app_session",  # FOR UPDATE (NO KEY UPDATE on PostgreSQL)
        "messaging_message",  # COUNT of the backlog, at most QUEUE_MAX rows
        "messaging_message",  # INSERT
        "messaging_lidmapping",
    ], sql
    assert "LIMIT" in sql[5] and "COUNT" in sql[5]
    assert sql[6].startswith("INSERT")


def _table(sql: str) -> str:
    found = re.search(r'(?:FROM|INTO) "(\w+)"', sql)
    return found.group(1) if found else sql
