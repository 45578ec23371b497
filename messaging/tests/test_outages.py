"""Sending through database blips: what the browser did is recorded once the database is
back, and no message stays `sending` forever."""

import collections
import threading
import time
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.db import OperationalError, connection
from django.utils import timezone

from messaging import outbound as send_queue
from messaging import tasks
from messaging.models import Direction, Message, MessageStatus
from messaging.tests.engine_double import RecordingEngine
from messaging.tests.test_faults import DONE, inbound_texts, outbox_texts, send_inbound, send_text, settled
from sessions_app.models import Session, SessionEvent
from sessions_app.tests.helpers import create_and_link, wait_for, wait_status
from yesapp.tests.fixtures import BLIP_APP_NAME

CHAT = "33698765432@c.us"


def outbound(session, text: str, status: str = MessageStatus.QUEUED, **fields) -> Message:
    return Message.objects.create(
        session=session, direction=Direction.OUTBOUND, chat_id=CHAT, text=text, status=status, **fields
    )


class BlipAfterSending(RecordingEngine):
    """The browser sends; at that very moment the database goes away (PostgreSQL: every
    connection terminated, this thread's too; SQLite: the write lock held for two seconds)."""

    def __init__(self, blips):
        super().__init__()
        self.blips = blips

    def send_text(self, chat_id: str, text: str, *, quoted_id: str = "", extra: dict | None = None):
        result = super().send_text(chat_id, text)
        if connection.vendor == "sqlite":
            threading.Thread(target=self.blips.blip, kwargs={"seconds": 2.0}, daemon=True).start()
            time.sleep(0.3)  # the lock is taken before messaging.outbound records the outcome
        else:
            assert self.blips.blip(everyone=True) >= 1
        return result


@pytest.mark.slow
def test_recording_sent_after_the_browser_sent_waits_out_a_database_blip(database_blips, monkeypatch):
    """Before, the error escaped send_due and the message stayed `sending` (later
    `send_uncertain`) although WhatsApp had it and we knew its id."""
    if connection.vendor == "sqlite":  # give up on the lock after 0.3 s: a `database is locked`
        monkeypatch.setitem(connection.settings_dict["OPTIONS"], "timeout", 0.3)
        connection.close()
    session = Session.objects.create(name="main", status="connected", wid="33700000000@c.us")
    message = outbound(session, "hello through a blip")
    engine = BlipAfterSending(database_blips)

    assert send_queue.send_due(session_id=session.pk, engine=engine) == 1

    message.refresh_from_db()
    assert message.status == MessageStatus.SENT and message.wa_id.startswith("true_")
    assert [call.text for call in engine.sent] == ["hello through a blip"]


@pytest.mark.django_db(transaction=True)
def test_a_claim_committed_whose_answer_the_dropped_connection_lost_is_recognised_and_sent_once(monkeypatch):
    """PostgreSQL may commit the UPDATE (queued → sending) and lose the connection before the
    answer arrives. Claiming again would find nothing to claim and leave the message `sending`
    unsent; the retry recognises its own claim by its timestamp instead."""
    session = Session.objects.create(name="main", status="connected", wid="33700000000@c.us")
    message = outbound(session, "claimed once")
    real_claim, claims = send_queue.message_claim_for_send, []

    def claim_then_lose_the_answer(*, message, at):
        claims.append(real_claim(message=message, at=at))
        if len(claims) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return claims[-1]

    monkeypatch.setattr(send_queue, "message_claim_for_send", claim_then_lose_the_answer)
    engine = RecordingEngine()

    assert send_queue.send_due(session_id=session.pk, engine=engine) == 1

    assert claims == [True]
    assert [call.text for call in engine.sent] == ["claimed once"]
    assert Message.objects.get(pk=message.pk).status == MessageStatus.SENT


@pytest.mark.django_db
def test_a_message_stuck_in_sending_past_the_bound_is_swept_to_send_uncertain_with_a_reason(
    session, emitted, settings
):
    settings.SENDING_TIMEOUT_SECONDS = 60
    now = timezone.now()
    stuck = outbound(session, "stuck", MessageStatus.SENDING, dispatched_at=now - timedelta(seconds=61))
    in_flight = outbound(
        session, "in flight", MessageStatus.SENDING, dispatched_at=now - timedelta(seconds=5)
    )
    queued = outbound(session, "queued")

    assert tasks.fail_stuck_sends() == 1

    stuck.refresh_from_db()
    assert (stuck.status, stuck.error_code) == (MessageStatus.FAILED, "send_uncertain")
    assert "still being sent 60s after" in stuck.error and "not resent" in stuck.error
    assert Message.objects.get(pk=in_flight.pk).status == MessageStatus.SENDING
    assert Message.objects.get(pk=queued.pk).status == MessageStatus.QUEUED
    assert [(event, payload["messageId"], payload["status"]) for event, _, payload in emitted] == [
        ("message.status", str(stuck.pk), "failed")
    ]
    assert tasks.fail_stuck_sends() == 0  # idempotent


def test_beat_runs_the_stuck_send_sweep():
    entry = django_settings.CELERY_BEAT_SCHEDULE["messaging-stuck-sends"]
    assert entry["task"] == tasks.fail_stuck_sends.name


# --- The real path: an engine worker and a sandbox session in Chromium ----------------------------


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.postgres
def test_database_blips_under_traffic_lose_nothing_send_nothing_twice_and_fail_no_session(
    api, engine_worker, database_blips
):
    """Again and again while contacts write and messages go out: on PostgreSQL every
    connection of the engine worker is terminated (pg_terminate_backend, as a restart or a
    failover does); on SQLite the write lock is held for seconds past the worker's busy
    timeout. The test process (the API, the contacts and WhatsApp's servers through the
    sandbox) keeps its connections: what is under test is the engine."""
    worker = engine_worker(
        "engine-a", RATE_LIMIT_PER_MINUTE="0", PGAPPNAME=BLIP_APP_NAME, SQLITE_BUSY_TIMEOUT="0.5"
    )
    session = create_and_link(api, name="blips")
    stop = threading.Event()
    storm = database_blips.storm(stop, every=1.0, seconds=2.0)
    texts, ids, arrived = [], [], []
    try:
        for i in range(30):
            text = f"out-{i:02}"
            response = send_text(api, session.id, text)
            assert response.status_code == 202, response.content
            texts.append(text)
            ids.append(response.json()["messageId"])
            arrived += send_inbound(api, session, 1, prefix=f"in-{i:02}")
            time.sleep(0.5)
    finally:
        stop.set()
        storm.join(30)
    assert database_blips.count >= 10

    wait_for(lambda: settled(ids), 180, what="every message sent")
    not_sent = list(Message.objects.filter(pk__in=ids).exclude(status__in=DONE).values_list("text", "error"))
    assert not not_sent, f"not sent: {not_sent}"
    received = collections.Counter(outbox_texts(session))
    assert sorted(received) == sorted(texts) and set(received.values()) == {1}, received
    assert wait_status(session.id, "connected", timeout=60)
    assert not SessionEvent.objects.filter(session=session, to_status="failed").exists()
    assert worker.proc.poll() is None

    def stored() -> list[str]:
        return inbound_texts(session)

    wait_for(lambda: len(stored()) >= len(arrived), 60, what="every inbound message stored")
    time.sleep(2)  # a duplicate would show up now
    assert sorted(stored()) == sorted(arrived)
