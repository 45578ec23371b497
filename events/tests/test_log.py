"""The event log: written once per event in the emitter's transaction, read by the webhooks
outbox, pruned past its retention."""

import json
import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from events.body import build_body
from events.log import events_prune
from events.models import Event
from events.selectors import event_log_end, event_log_horizon
from events.tests.conftest import emit_received
from yesapp.events import MESSAGE_STATUS, SESSION_STATUS, emit

pytestmark = pytest.mark.django_db


def test_every_emitted_event_is_logged_once_in_order_with_the_webhook_body(make_session):
    session = make_session()
    emit_received(session, "one")
    emit_received(session, "two", event=MESSAGE_STATUS)
    entries = list(Event.objects.all())
    assert [e.name for e in entries] == ["message.received", "message.status"]
    assert entries[0].id < entries[1].id
    body = json.loads(entries[0].body)
    assert body["event"] == "message.received" and body["sessionId"] == str(session.pk)
    assert body["text"] == "one" and body["mediaUrl"] is None
    assert event_log_end() == entries[1].id


def test_a_rolled_back_change_logs_nothing(make_session):
    session = make_session()
    with pytest.raises(RuntimeError), transaction.atomic():
        emit(SESSION_STATUS, session_id=session.pk, payload={"status": "stopped"})
        raise RuntimeError("the change failed")
    assert not Event.objects.exists()


def test_body_keeps_the_emitters_keys_and_resolves_media_urls(settings):
    settings.PUBLIC_URL = "https://wa.example.com"
    body = json.loads(build_body(event="message.received", session_id="s", payload={"mediaId": 7}))
    assert body["mediaUrl"] == "https://wa.example.com/api/v1/media/7"


def test_prune_deletes_entries_past_the_retention_and_moves_the_horizon(make_session, settings):
    settings.EVENT_RETENTION_DAYS = 7
    session = make_session()
    for text in ("old", "older", "new"):
        emit_received(session, text)
    old_ids = list(Event.objects.order_by("id").values_list("id", flat=True)[:2])
    Event.objects.filter(pk__in=old_ids).update(created_at=timezone.now() - timedelta(days=8))
    assert event_log_horizon() == 0
    assert events_prune(batch_size=1) == 2
    assert [json.loads(e.body)["text"] for e in Event.objects.all()] == ["new"]
    assert event_log_horizon() == old_ids[1]
    # Nothing left to prune: the horizon stays.
    call_command("pruneevents")
    assert event_log_horizon() == old_ids[1]


def test_prune_with_no_retention_keeps_everything(make_session, settings):
    settings.EVENT_RETENTION_DAYS = 0
    emit_received(make_session(), "kept")
    Event.objects.update(created_at=timezone.now() - timedelta(days=800))
    assert events_prune() == 0 and Event.objects.count() == 1


def test_deleting_a_session_deletes_its_events_and_keeps_the_others(make_session):
    gone, kept = make_session("gone"), make_session("kept")
    emit_received(gone, "bye")
    emit_received(kept, "stays")
    gone.delete()
    assert [json.loads(e.body)["text"] for e in Event.objects.all()] == ["stays"]


def test_a_later_event_never_commits_before_an_earlier_one(transactional_db, make_session):
    """Readers page by id: an event with a larger id committed first would be skipped by a
    reader already past it. The second writer waits for the first (SQLite's write lock, or the
    advisory lock on PostgreSQL)."""
    session = make_session()
    first_logged, release = threading.Event(), threading.Event()
    order: list[str] = []

    def first():
        with transaction.atomic():
            emit_received(session, "first")
            first_logged.set()
            release.wait(10)
            order.append("first commits")
        connection.close()

    def second():
        first_logged.wait(10)
        emit_received(session, "second")
        order.append("second committed")
        connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    first_logged.wait(10)
    threading.Event().wait(0.5)  # room for the second to commit, were it not held back
    order.append("released")
    release.set()
    for thread in threads:
        thread.join(30)
    assert order == ["released", "first commits", "second committed"]
    assert [json.loads(e.body)["text"] for e in Event.objects.order_by("id")] == ["first", "second"]
