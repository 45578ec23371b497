"""Sending through database blips: what the browser did is recorded once the database is
back, and no message stays `sending` forever."""

import threading
import time
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone

from messaging import pump, tasks
from messaging.models import Direction, Message, MessageStatus
from messaging.tests.engine_double import RecordingEngine
from sessions_app.models import Session

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

    def send_text(self, chat_id: str, text: str, *, quoted_id: str = ""):
        result = super().send_text(chat_id, text)
        if connection.vendor == "sqlite":
            threading.Thread(target=self.blips.blip, kwargs={"seconds": 2.0}, daemon=True).start()
            time.sleep(0.3)  # the lock is taken before the pump records the outcome
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

    assert pump.send_due(session_id=session.pk, engine=engine) == 1

    message.refresh_from_db()
    assert message.status == MessageStatus.SENT and message.wa_id.startswith("true_")
    assert [call.text for call in engine.sent] == ["hello through a blip"]


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
