"""messaging.outbound with a recording Engine: sending in order within the rate limit, what a
failed or crashed send records, and the restart rule (nothing resent twice silently)."""

import base64
from datetime import timedelta

import pytest
from django.utils import timezone

from messaging import inbound, outbound
from messaging.media import MediaSource
from messaging.models import Message, MessageStatus
from messaging.services import message_send
from messaging.tests.conftest import CHAT, IMG_ID, PNG, TO, image_message, queue, statuses
from sessions_app.engine.base import EngineCrashed, EngineError, SendResult


def drain(session, engine, *, calls: int = 100) -> int:
    """Calls send_due until it sends nothing, like an actor loop with no time passing."""
    total = 0
    for _ in range(calls):
        sent = outbound.send_due(session_id=session.pk, engine=engine)
        if sent == 0:
            break
        total += sent
    return total


# --- sending ------------------------------------------------------------------------------------


def test_send_due_sends_in_created_order_and_marks_sent(session, engine, unlimited, emitted):
    messages = queue(session, "one", "two", "three")

    assert outbound.send_due(session_id=session.pk, engine=engine) == 3

    assert [call.text for call in engine.sent] == ["one", "two", "three"]
    for message in messages:
        message.refresh_from_db()
        assert message.status == MessageStatus.SENT
        assert message.wa_id.startswith(f"true_{CHAT}_")
        assert message.sent_at and message.dispatched_at and message.send_attempts == 1
    assert statuses(emitted) == ["sent", "sent", "sent"]


def test_message_is_marked_sending_before_the_engine_call(session, engine, unlimited):
    queue(session, "check me")

    outbound.send_due(session_id=session.pk, engine=engine)

    assert engine.sent[0].status_at_call == MessageStatus.SENDING


def test_send_due_sends_at_most_a_small_batch_per_call(session, engine, unlimited):
    queue(session, *[f"m{i}" for i in range(12)])

    assert outbound.send_due(session_id=session.pk, engine=engine) == outbound.SEND_BATCH_MAX
    assert Message.objects.filter(status=MessageStatus.QUEUED).count() == 12 - outbound.SEND_BATCH_MAX


def test_send_due_does_nothing_while_session_is_not_connected(session, engine, unlimited):
    queue(session, "later")
    session.status = "disconnected"
    session.save()

    assert outbound.send_due(session_id=session.pk, engine=engine) == 0
    assert engine.sent == []
    assert Message.objects.get().status == MessageStatus.QUEUED


def test_rate_limit_sends_only_the_allowed_number_and_keeps_the_rest_queued(
    session, other_session, engine, settings
):
    settings.RATE_LIMIT_PER_MINUTE = 50
    settings.RATE_LIMIT_BURST = 50
    queue(session, *[f"m{i}" for i in range(60)])
    queue(other_session, "a", "b", "c")

    assert drain(session, engine) == 50
    assert Message.objects.filter(session=session, status=MessageStatus.QUEUED).count() == 10
    assert [call.text for call in engine.sent] == [f"m{i}" for i in range(50)]

    # The other session's backlog is its own: not slowed by the first one.
    assert drain(other_session, engine) == 3
    assert Message.objects.filter(session=other_session, status=MessageStatus.SENT).count() == 3


def test_rate_limit_window_rolls_after_a_minute(session, engine, settings):
    settings.RATE_LIMIT_PER_MINUTE = 50
    settings.RATE_LIMIT_BURST = 50
    queue(session, *[f"m{i}" for i in range(60)])
    drain(session, engine)

    Message.objects.filter(dispatched_at__isnull=False).update(
        dispatched_at=timezone.now() - timedelta(seconds=61)
    )

    assert drain(session, engine) == 10


def test_default_burst_lets_a_few_out_then_spaces_them(session, engine, settings):
    settings.RATE_LIMIT_PER_MINUTE = 50
    settings.RATE_LIMIT_BURST = 5
    queue(session, *[f"m{i}" for i in range(20)])

    assert drain(session, engine) == 5
    # The burst window is 5 × 60 / 50 = 6 s: older dispatches free it again.
    Message.objects.filter(dispatched_at__isnull=False).update(
        dispatched_at=timezone.now() - timedelta(seconds=7)
    )
    assert drain(session, engine) == 5
    assert outbound.send_allowance(session_id=session.pk) == 0


def test_engine_error_fails_that_message_with_its_text_and_the_queue_goes_on(
    session, engine, unlimited, emitted
):
    engine.fail_with["bad"] = EngineError("wid error: invalid wid")
    queue(session, "bad", "good")

    assert outbound.send_due(session_id=session.pk, engine=engine) == 2

    bad, good = Message.objects.order_by("created_at")
    assert (bad.status, bad.error_code, bad.error) == ("failed", "engine_error", "wid error: invalid wid")
    assert bad.failed_at is not None
    assert good.status == "sent"
    assert statuses(emitted) == ["failed", "sent"]


def test_whatsapp_refusal_fails_the_message_with_its_result(session, engine, unlimited):
    engine.fail_with["nope"] = SendResult(wa_id="true_x_1", error="ERROR_UNKNOWN")
    queue(session, "nope")

    outbound.send_due(session_id=session.pk, engine=engine)

    message = Message.objects.get()
    assert (message.status, message.error_code, message.wa_id) == ("failed", "whatsapp_error", "true_x_1")
    assert "ERROR_UNKNOWN" in message.error


def test_browser_crash_mid_send_marks_uncertain_and_stops(session, engine, unlimited):
    engine.fail_with["crash"] = EngineCrashed("chrome not reachable")
    queue(session, "crash", "next")

    with pytest.raises(EngineCrashed):
        outbound.send_due(session_id=session.pk, engine=engine)

    crashed, waiting = Message.objects.order_by("created_at")
    assert (crashed.status, crashed.error_code) == ("failed", "send_uncertain")
    assert "not resent automatically" in crashed.error
    assert waiting.status == "queued"


def test_permanent_engine_error_is_reraised_after_failing_the_message(session, engine, unlimited):
    engine.fail_with["x"] = EngineError("logged out", permanent=True)
    queue(session, "x", "y")

    with pytest.raises(EngineError):
        outbound.send_due(session_id=session.pk, engine=engine)

    assert list(Message.objects.order_by("created_at").values_list("status", flat=True)) == [
        "failed",
        "queued",
    ]


def test_media_message_is_sent_with_its_file(session, engine, unlimited):
    message, _ = message_send(
        session=session,
        to=TO,
        text="pic",
        media=MediaSource(kind="image", data=base64.b64encode(PNG).decode()),
    )

    outbound.send_due(session_id=session.pk, engine=engine)

    call = engine.sent[0]
    assert call.method == "send_media"
    assert (call.media.data, call.media.mimetype, call.media.kind, call.media.caption) == (
        PNG,
        "image/png",
        "image",
        "pic",
    )
    message.refresh_from_db()
    assert message.status == "sent"


def test_media_message_whose_file_is_gone_fails_readably(session, engine, unlimited, media_root):
    message, _ = message_send(session=session, to=TO, media=MediaSource(data=base64.b64encode(PNG).decode()))
    (media_root / message.media_name).unlink()

    outbound.send_due(session_id=session.pk, engine=engine)

    message.refresh_from_db()
    assert (message.status, message.error_code) == ("failed", "media_missing")
    assert engine.sent == []


def test_unexpected_error_mid_send_is_uncertain_and_reraised(session, engine, unlimited):
    engine.fail_with["boom"] = RuntimeError("webdriver exploded")
    queue(session, "boom")

    with pytest.raises(RuntimeError):
        outbound.send_due(session_id=session.pk, engine=engine)

    assert Message.objects.get().error_code == "send_uncertain"


def test_nothing_is_sent_or_downloaded_while_disconnected(session, engine, unlimited):
    engine.media[IMG_ID] = EngineError("offline")
    inbound.handle_new_message(session_id=session.pk, data=image_message(), engine=engine)
    Message.objects.update(media_retry_at=None)
    queue(session, "later")
    session.status = "disconnected"
    session.save()
    calls_before = len(engine.calls)

    assert outbound.send_due(session_id=session.pk, engine=engine) == 0

    assert len(engine.calls) == calls_before


# --- restart ------------------------------------------------------------------------------------


def test_recover_interrupted_marks_sending_as_send_uncertain_and_keeps_queue(
    session, other_session, unlimited, emitted
):
    caught, waiting = queue(session, "caught mid-send", "still queued")
    (elsewhere,) = queue(other_session, "other session")
    Message.objects.filter(pk__in=[caught.pk, elsewhere.pk]).update(status=MessageStatus.SENDING)

    assert outbound.recover_interrupted(session_id=session.pk) == 1

    caught.refresh_from_db()
    waiting.refresh_from_db()
    elsewhere.refresh_from_db()
    assert (caught.status, caught.error_code) == ("failed", "send_uncertain")
    assert "may or may not have reached WhatsApp" in caught.error
    assert waiting.status == "queued"
    assert elsewhere.status == "sending"
    assert statuses(emitted) == ["failed"]


def test_recover_interrupted_never_resends(session, engine, unlimited):
    (caught,) = queue(session, "caught")
    Message.objects.filter(pk=caught.pk).update(status=MessageStatus.SENDING)

    outbound.recover_interrupted(session_id=session.pk)
    outbound.send_due(session_id=session.pk, engine=engine)

    assert engine.sent == []
