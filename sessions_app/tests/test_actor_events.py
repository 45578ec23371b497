"""Page events through the real actor and messaging's real handlers, one at a time: stored, then
acknowledged; quarantined when they raise; waited for when the database is away.

The engine here is the page's queue alone (ScriptedPage), the one stand-in at this level:
the same promises through real Chromium are in test_catch_up.py and test_event_fuzz.py."""

import sqlite3
import threading

import pytest
from django.db import connection, connections
from django.db.models.signals import post_save

from messaging.models import Message
from messaging.tests.engine_double import RecordingEngine
from sessions_app.engine import page_events as page_events_module
from sessions_app.engine.actor import SessionActor
from sessions_app.engine.base import PageEvent
from sessions_app.models import (
    DesiredState,
    FailedEvent,
    FailedEventStatus,
    Session,
    SessionEvent,
    SessionStatus,
)
from sessions_app.tests.helpers import wait_for

pytestmark = pytest.mark.slow
ME = "33700000000@c.us"


def new_message(n: int, text: str | None = None, **extra) -> dict:
    chat = f"3361234{n:04d}@c.us"
    key = f"3A{n:018X}"
    return {
        "id": {"_serialized": f"false_{chat}_{key}", "fromMe": False, "remote": chat, "id": key},
        "from": chat,
        "to": ME,
        "type": "chat",
        "body": text if text is not None else f"message {n}",
        "t": 1_790_000_000 + n,
        "notifyName": f"Contact {n}",
        **extra,
    }


class ScriptedPage(RecordingEngine):
    """The bridge's queue as the page keeps it: events stay until acknowledged, a drain hands
    over the oldest `batch`, and `add` plays WhatsApp delivering new ones."""

    def __init__(self, batch: int = 200):
        super().__init__()
        self.queue: list[PageEvent] = []
        self.seq = 0
        self.batch = batch
        self.handed_over: list[int] = []
        self.lock = threading.Lock()

    def add(self, name: str, data) -> int:
        with self.lock:
            self.seq += 1
            self.queue.append(PageEvent(name=name, data=data, seq=self.seq))
            return self.seq

    def drain_events(self, wait: float):
        with self.lock:
            events = self.queue[: self.batch]
        self.handed_over.extend(e.seq for e in events)
        if not events:
            threading.Event().wait(min(wait, 0.05))
        return events

    def acknowledge(self, seq: int) -> None:
        with self.lock:
            self.queue = [e for e in self.queue if e.seq > seq]


@pytest.fixture
def running(transactional_db, monkeypatch):
    """A connected session run by a real actor thread on a ScriptedPage."""
    monkeypatch.setattr(page_events_module, "FAILED_RETRY_INTERVAL", 0.2)
    session = Session.objects.create(
        name="events", status=SessionStatus.CONNECTED, desired_state=DesiredState.RUNNING, wid=ME
    )
    page = ScriptedPage()
    actor = SessionActor(session_id=session.pk, node="test-node", engine_factory=lambda s: page)
    actor.start()
    wait_for(lambda: Session.objects.get(pk=session.pk).engine_node == "test-node", 10, what="the actor")
    yield session, page, actor
    actor.request_stop("shutdown")
    actor.thread.join(15)


@pytest.fixture
def handler_bug():
    """A bug in one handler: storing a message whose text is "boom" raises."""

    def explode(sender, instance, created, **kwargs):
        if created and instance.text == "boom":
            raise RuntimeError("a handler bug")

    post_save.connect(explode, sender=Message, dispatch_uid="handler-bug")
    yield
    post_save.disconnect(sender=Message, dispatch_uid="handler-bug")


def stored_texts(session) -> list[str]:
    return sorted(Message.objects.filter(session=session).values_list("text", flat=True))


def test_an_event_that_raises_is_quarantined_and_the_rest_of_its_batch_is_stored(running, handler_bug):
    session, page, actor = running
    for n, text in enumerate(["before", "boom", "after"], start=1):
        page.add("chat.new_message", new_message(n, text))
    wait_for(lambda: stored_texts(session) == ["after", "before"], 20, what="both good messages")
    failed = wait_for(
        lambda: FailedEvent.objects.filter(session=session).first(), 10, what="a quarantined event"
    )
    assert failed.name == "chat.new_message" and failed.status == FailedEventStatus.QUARANTINED
    assert "RuntimeError: a handler bug" in failed.error and '"boom"' in failed.payload
    wait_for(lambda: not page.queue, 10, what="every event acknowledged")
    assert actor.is_alive()
    assert Session.objects.get(pk=session.pk).status == SessionStatus.CONNECTED
    assert not SessionEvent.objects.filter(session=session, to_status=SessionStatus.FAILED).exists()


def test_a_retried_event_is_stored_once_the_cause_is_fixed(running, handler_bug, api):
    session, page, _ = running
    page.add("chat.new_message", new_message(1, "boom"))
    failed = wait_for(lambda: FailedEvent.objects.filter(session=session).first(), 20, what="quarantine")

    listed = api.get(f"/api/v1/sessions/{session.pk}/failed-events").json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == str(failed.pk)
    assert listed["items"][0]["event"] == "chat.new_message" and listed["items"][0]["status"] == "quarantined"

    # Still broken: the retry runs and the event is quarantined again with one more attempt.
    response = api.post(f"/api/v1/sessions/{session.pk}/failed-events/{failed.pk}/retry")
    assert response.status_code == 202 and response.json()["status"] == "retrying"
    wait_for(lambda: FailedEvent.objects.get(pk=failed.pk).attempts == 2, 20, what="the failed retry")
    assert FailedEvent.objects.get(pk=failed.pk).status == FailedEventStatus.QUARANTINED

    post_save.disconnect(sender=Message, dispatch_uid="handler-bug")  # the fix
    api.post(f"/api/v1/sessions/{session.pk}/failed-events/{failed.pk}/retry")
    wait_for(lambda: stored_texts(session) == ["boom"], 20, what="the retried message")
    assert FailedEvent.objects.get(pk=failed.pk).status == FailedEventStatus.RESOLVED
    again = api.post(f"/api/v1/sessions/{session.pk}/failed-events/{failed.pk}/retry")
    assert again.status_code == 409 and again.json()["error"]["code"] == "failed_event_resolved"


def test_the_same_events_handed_over_twice_are_stored_once(running):
    """A drain answer lost (a worker killed after the commit, before the acknowledgement):
    the page hands the same events over again."""
    session, page, _ = running
    for n in range(1, 4):
        page.add("chat.new_message", new_message(n))
    wait_for(lambda: len(stored_texts(session)) == 3, 20, what="three messages")
    for n in range(1, 4):
        page.add("chat.new_message", new_message(n))  # WhatsApp's copy of the same ids
    wait_for(lambda: not page.queue, 10, what="the replay acknowledged")
    assert stored_texts(session) == ["message 1", "message 2", "message 3"]


def test_malformed_timestamps_and_sizes_are_stored_not_fatal(running):
    session, page, _ = running
    page.add("chat.new_message", new_message(1, "ms", t=1_790_000_000_123))
    page.add("chat.new_message", new_message(2, "huge", t=10**30, size=10**30))
    page.add("chat.new_message", new_message(3, "negative", t=-5, size=-1))
    wait_for(lambda: len(stored_texts(session)) == 3, 20, what="three messages")
    by_text = {m.text: m for m in Message.objects.filter(session=session)}
    assert by_text["ms"].wa_timestamp.timestamp() == pytest.approx(1_790_000_000.123)
    assert by_text["negative"].wa_timestamp is None and by_text["negative"].media_size is None
    assert not FailedEvent.objects.exists()


@pytest.fixture
def short_busy_timeout(monkeypatch):
    """SQLite waits 1 s for a lock instead of 20, so a test can outlast it several times."""
    monkeypatch.setitem(connections.settings["default"]["OPTIONS"], "timeout", 1)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's own write lock")
def test_a_locked_sqlite_database_is_waited_out_and_no_event_is_lost(short_busy_timeout, running):
    session, page, actor = running
    # Another process holding SQLite's write lock for several busy timeouts.
    other = sqlite3.connect(connection.settings_dict["NAME"], timeout=5)
    other.execute("BEGIN EXCLUSIVE")
    try:
        for n in range(1, 6):
            page.add("chat.new_message", new_message(n))
        # The actor keeps trying while the lock is held (each try waits the busy timeout).
        wait_for(lambda: len(page.handed_over) >= 2, 60, what="a second attempt under the lock")
        assert page.queue, "nothing may be acknowledged while the database is locked"
    finally:
        other.rollback()
        other.close()
    wait_for(lambda: len(stored_texts(session)) == 5, 90, what="all five after the lock")
    wait_for(lambda: not page.queue, 10, what="all acknowledged")
    assert not FailedEvent.objects.exists()
    assert actor.is_alive() and Session.objects.get(pk=session.pk).status == SessionStatus.CONNECTED
