"""messaging.pump with a recording Engine: sending in order within the rate limit, acks,
received messages (dedupe, ciphertext, fromMe, media), and the restart rule."""

import base64
from datetime import timedelta

import pytest
from django.utils import timezone

from messaging import pump
from messaging.models import Direction, MediaStatus, Message, MessageStatus
from messaging.services import MediaSource, message_send
from messaging.tests.conftest import PNG
from sessions_app.engine.base import EngineCrashed, EngineError, SendResult

TO = "+33612345678"
CHAT = "33612345678@c.us"


@pytest.fixture(autouse=True)
def fresh_media_check():
    pump._last_media_check.clear()


@pytest.fixture
def unlimited(settings):
    settings.RATE_LIMIT_PER_MINUTE = 0


def queue(session, *texts) -> list[Message]:
    return [message_send(session=session, to=TO, text=text, queue=True)[0] for text in texts]


def drain(session, engine, *, calls: int = 100) -> int:
    """Calls send_due until it sends nothing, like an actor loop with no time passing."""
    total = 0
    for _ in range(calls):
        sent = pump.send_due(session_id=session.pk, engine=engine)
        if sent == 0:
            break
        total += sent
    return total


def statuses(event_list, event="message.status"):
    return [payload["status"] for name, _, payload in event_list if name == event]


# --- sending ------------------------------------------------------------------------------------


def test_send_due_sends_in_created_order_and_marks_sent(session, engine, unlimited, emitted):
    messages = queue(session, "one", "two", "three")

    assert pump.send_due(session_id=session.pk, engine=engine) == 3

    assert [call.text for call in engine.sent] == ["one", "two", "three"]
    for message in messages:
        message.refresh_from_db()
        assert message.status == MessageStatus.SENT
        assert message.wa_id.startswith(f"true_{CHAT}_")
        assert message.sent_at and message.dispatched_at and message.send_attempts == 1
    assert statuses(emitted) == ["sent", "sent", "sent"]


def test_message_is_marked_sending_before_the_engine_call(session, engine, unlimited):
    queue(session, "check me")

    pump.send_due(session_id=session.pk, engine=engine)

    assert engine.sent[0].status_at_call == MessageStatus.SENDING


def test_send_due_sends_at_most_a_small_batch_per_call(session, engine, unlimited):
    queue(session, *[f"m{i}" for i in range(12)])

    assert pump.send_due(session_id=session.pk, engine=engine) == pump.SEND_BATCH_MAX
    assert Message.objects.filter(status=MessageStatus.QUEUED).count() == 12 - pump.SEND_BATCH_MAX


def test_send_due_does_nothing_while_session_is_not_connected(session, engine, unlimited):
    queue(session, "later")
    session.status = "disconnected"
    session.save()

    assert pump.send_due(session_id=session.pk, engine=engine) == 0
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
    assert pump.send_allowance(session_id=session.pk) == 0


def test_engine_error_fails_that_message_with_its_text_and_the_queue_goes_on(
    session, engine, unlimited, emitted
):
    engine.fail_with["bad"] = EngineError("wid error: invalid wid")
    queue(session, "bad", "good")

    assert pump.send_due(session_id=session.pk, engine=engine) == 2

    bad, good = Message.objects.order_by("created_at")
    assert (bad.status, bad.error_code, bad.error) == ("failed", "engine_error", "wid error: invalid wid")
    assert bad.failed_at is not None
    assert good.status == "sent"
    assert statuses(emitted) == ["failed", "sent"]


def test_whatsapp_refusal_fails_the_message_with_its_result(session, engine, unlimited):
    engine.fail_with["nope"] = SendResult(wa_id="true_x_1", error="ERROR_UNKNOWN")
    queue(session, "nope")

    pump.send_due(session_id=session.pk, engine=engine)

    message = Message.objects.get()
    assert (message.status, message.error_code, message.wa_id) == ("failed", "whatsapp_error", "true_x_1")
    assert "ERROR_UNKNOWN" in message.error


def test_browser_crash_mid_send_marks_uncertain_and_stops(session, engine, unlimited):
    engine.fail_with["crash"] = EngineCrashed("chrome not reachable")
    queue(session, "crash", "next")

    with pytest.raises(EngineCrashed):
        pump.send_due(session_id=session.pk, engine=engine)

    crashed, waiting = Message.objects.order_by("created_at")
    assert (crashed.status, crashed.error_code) == ("failed", "send_uncertain")
    assert "not resent automatically" in crashed.error
    assert waiting.status == "queued"


def test_permanent_engine_error_is_reraised_after_failing_the_message(session, engine, unlimited):
    engine.fail_with["x"] = EngineError("logged out", permanent=True)
    queue(session, "x", "y")

    with pytest.raises(EngineError):
        pump.send_due(session_id=session.pk, engine=engine)

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

    pump.send_due(session_id=session.pk, engine=engine)

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

    pump.send_due(session_id=session.pk, engine=engine)

    message.refresh_from_db()
    assert (message.status, message.error_code) == ("failed", "media_missing")
    assert engine.sent == []


# --- acks ---------------------------------------------------------------------------------------


@pytest.fixture
def sent_message(session, engine, unlimited) -> Message:
    (message,) = queue(session, "ack me")
    pump.send_due(session_id=session.pk, engine=engine)
    message.refresh_from_db()
    return message


def ack(session, message, value, *, as_string=False):
    key = message.wa_id if as_string else {"_serialized": message.wa_id, "fromMe": True, "remote": CHAT}
    pump.handle_ack(session_id=session.pk, data={"ack": value, "chat": CHAT, "sender": CHAT, "ids": [key]})
    message.refresh_from_db()


def test_acks_move_status_forward_with_timestamps_and_events(session, sent_message, emitted):
    emitted.clear()

    ack(session, sent_message, 1)
    assert sent_message.status == "sent" and emitted == []

    ack(session, sent_message, 2)
    assert sent_message.status == "delivered" and sent_message.delivered_at is not None

    ack(session, sent_message, 3, as_string=True)
    assert sent_message.status == "read" and sent_message.read_at is not None

    assert statuses(emitted) == ["delivered", "read"]
    delivered_payload, read_payload = (payload for _, _, payload in emitted)
    assert delivered_payload["previousStatus"] == "sent" and delivered_payload["deliveredAt"]
    assert read_payload["readAt"] and read_payload["messageId"] == str(sent_message.pk)


def test_ack_never_moves_status_backwards(session, sent_message, emitted):
    ack(session, sent_message, 3)
    emitted.clear()

    ack(session, sent_message, 2)
    ack(session, sent_message, 1)
    ack(session, sent_message, 0)
    ack(session, sent_message, -1)

    assert sent_message.status == "read"
    assert emitted == []


def test_played_ack_counts_as_read_and_fills_skipped_timestamps(session, sent_message):
    ack(session, sent_message, 4)

    assert sent_message.status == "read"
    assert sent_message.delivered_at == sent_message.read_at


def test_ack_for_unknown_or_malformed_ids_changes_nothing(session, sent_message):
    pump.handle_ack(session_id=session.pk, data={"ack": 3, "ids": ["true_nobody_1", 5, None, {}]})
    with pytest.raises(pump.MalformedEvent):  # quarantined by the actor
        pump.handle_ack(session_id=session.pk, data={"ack": "x", "ids": [sent_message.wa_id]})
    with pytest.raises(pump.MalformedEvent):
        pump.handle_ack(session_id=session.pk, data=["not", "a", "dict"])

    sent_message.refresh_from_db()
    assert sent_message.status == "sent"


def test_ack_of_another_session_does_not_touch_this_one(session, other_session, sent_message):
    pump.handle_ack(session_id=other_session.pk, data={"ack": 3, "ids": [sent_message.wa_id]})

    sent_message.refresh_from_db()
    assert sent_message.status == "sent"


# --- new messages -------------------------------------------------------------------------------


def new_message(wa_id="false_33612345678@c.us_ABC", *, from_me=False, type="chat", body="Hi there", **extra):
    remote = extra.pop("remote", CHAT)
    data = {
        "id": {"_serialized": wa_id, "fromMe": from_me, "remote": remote, "id": wa_id.rsplit("_", 1)[-1]},
        "from": "33700000000@c.us" if from_me else remote,
        "to": remote if from_me else "33700000000@c.us",
        "body": body,
        "type": type,
        "t": 1764230400,
        "notifyName": "Alice",
        "isNewMsg": True,
    }
    data.update(extra)
    return data


def test_inbound_text_is_stored_once_and_emits_received(session, engine, emitted):
    pump.handle_new_message(session_id=session.pk, data=new_message(), engine=engine)

    message = Message.objects.get()
    assert (message.direction, message.status, message.type, message.text) == (
        "inbound",
        "received",
        "text",
        "Hi there",
    )
    assert (message.chat_id, message.phone, message.contact_name) == (CHAT, "+33612345678", "Alice")
    assert message.wa_timestamp.timestamp() == 1764230400
    [(event, session_id, payload)] = emitted
    assert event == "message.received" and session_id == session.pk
    assert payload["from"] == CHAT and payload["to"] == session.wid and payload["text"] == "Hi there"
    assert payload["mediaUrl"] is None and payload["timestamp"] == "2025-11-27T08:00:00Z"


def test_replayed_new_message_is_deduplicated(session, engine, emitted):
    for _ in range(3):
        pump.handle_new_message(session_id=session.pk, data=new_message(), engine=engine)

    assert Message.objects.count() == 1
    assert len(emitted) == 1


def test_a_replay_emits_the_received_event_a_blip_cut_short_once(session, engine, emitted):
    """The row was stored but the database went away before `message.received` was recorded
    (a media message emits after its download): the page hands the event over again."""
    pump.handle_new_message(session_id=session.pk, data=new_message(), engine=engine)
    Message.objects.update(notified_at=None)
    emitted.clear()
    for _ in range(2):
        pump.handle_new_message(session_id=session.pk, data=new_message(), engine=engine)

    assert [event for event, _, _ in emitted] == ["message.received"]
    assert Message.objects.get().notified_at is not None


def test_same_wa_id_in_two_sessions_is_two_messages(session, other_session, engine):
    pump.handle_new_message(session_id=session.pk, data=new_message(), engine=engine)
    pump.handle_new_message(session_id=other_session.pk, data=new_message(), engine=engine)

    assert Message.objects.count() == 2


def test_group_message_records_author_and_their_number(session, engine, emitted):
    data = new_message(
        "false_120363025555555555@g.us_X_33611111111@c.us",
        remote="120363025555555555@g.us",
        author="33611111111@c.us",
    )

    pump.handle_new_message(session_id=session.pk, data=data, engine=engine)

    message = Message.objects.get()
    assert (message.chat_id, message.author, message.phone) == (
        "120363025555555555@g.us",
        "33611111111@c.us",
        "+33611111111",
    )
    assert emitted[0][2]["from"] == "33611111111@c.us"


def test_ciphertext_is_stored_silently_then_updated_when_decrypted(session, engine, emitted):
    pump.handle_new_message(
        session_id=session.pk, data=new_message(type="ciphertext", body=""), engine=engine
    )
    assert Message.objects.get().type == "ciphertext"
    assert emitted == []

    pump.handle_new_message(session_id=session.pk, data=new_message(body="Now readable"), engine=engine)

    message = Message.objects.get()
    assert (message.type, message.text) == ("text", "Now readable")
    assert [(event, payload["text"]) for event, _, payload in emitted] == [
        ("message.received", "Now readable")
    ]

    pump.handle_new_message(session_id=session.pk, data=new_message(body="Now readable"), engine=engine)
    assert len(emitted) == 1


def test_from_me_typed_on_the_phone_is_stored_as_outbound_from_phone(session, engine, emitted):
    data = new_message("true_33612345678@c.us_PHONE1", from_me=True, body="sent from my phone")

    pump.handle_new_message(session_id=session.pk, data=data, engine=engine)

    message = Message.objects.get()
    assert (message.direction, message.status, message.from_phone, message.text) == (
        "outbound",
        "sent",
        True,
        "sent from my phone",
    )
    assert message.chat_id == CHAT and message.sent_at is not None
    [(event, _, payload)] = emitted
    assert event == "message.status" and payload["fromPhone"] is True and payload["from"] == session.wid


def test_from_me_echo_of_an_api_send_is_skipped(session, sent_message, engine, emitted):
    emitted.clear()
    data = new_message(sent_message.wa_id, from_me=True, body="ack me")

    pump.handle_new_message(session_id=session.pk, data=data, engine=engine)

    assert Message.objects.count() == 1
    assert emitted == []


def test_status_broadcast_is_ignored_by_default(session, engine, settings):
    pump.handle_new_message(session_id=session.pk, data=new_message(remote="status@broadcast"), engine=engine)
    assert not Message.objects.exists()

    settings.MESSAGING_IGNORE_STATUS_BROADCAST = False
    pump.handle_new_message(session_id=session.pk, data=new_message(remote="status@broadcast"), engine=engine)
    assert Message.objects.get().chat_id == "status@broadcast"


def test_unknown_types_are_stored_under_their_wa_js_type(session, engine):
    pump.handle_new_message(
        session_id=session.pk, data=new_message(type="vcard", body="BEGIN:VCARD"), engine=engine
    )

    assert Message.objects.get().type == "vcard"


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("chat.new_message", {"body": "no id"}),
        ("chat.new_message", {"id": {"_serialized": 5}, "body": "no usable id"}),
        ("chat.new_message", "junk"),
        ("chat.msg_ack_change", {"ack": "soon", "ids": []}),
        ("chat.msg_ack_change", None),
    ],
)
def test_a_payload_without_what_it_takes_is_malformed_not_silently_dropped(session, engine, name, data):
    """The actor quarantines what raises MalformedEvent, so it stays visible and retryable."""
    with pytest.raises(pump.MalformedEvent):
        if name == "chat.new_message":
            pump.handle_new_message(session_id=session.pk, data=data, engine=engine)
        else:
            pump.handle_ack(session_id=session.pk, data=data)

    assert not Message.objects.exists()


# --- received media -----------------------------------------------------------------------------


IMG_ID = "false_33612345678@c.us_IMG1"


def image_message(**extra):
    return new_message(
        IMG_ID, type="image", body="/9j/4AAQthumbnail", caption="a photo", mimetype="image/png", **extra
    )


def test_inbound_media_is_downloaded_to_media_root(session, engine, emitted, media_root):
    engine.media[IMG_ID] = (PNG, "image/png")

    pump.handle_new_message(session_id=session.pk, data=image_message(), engine=engine)

    message = Message.objects.get()
    assert (message.type, message.text, message.media_status) == ("image", "a photo", MediaStatus.STORED)
    assert message.media_name == f"{message.pk}.png"
    assert (media_root / message.media_name).read_bytes() == PNG
    assert (message.media_mimetype, message.media_size) == ("image/png", len(PNG))
    [(event, _, payload)] = emitted
    assert event == "message.received" and payload["mediaUrl"].endswith(f"/api/v1/media/{message.pk}")
    assert payload["media"]["status"] == "stored"


def test_failed_download_is_recorded_text_stored_and_retried_later(session, engine, emitted, media_root):
    engine.media[IMG_ID] = EngineError("downloadMedia: media not available")

    pump.handle_new_message(session_id=session.pk, data=image_message(), engine=engine)

    message = Message.objects.get()
    assert (message.text, message.media_status, message.media_attempts) == ("a photo", MediaStatus.PENDING, 1)
    assert "media not available" in message.media_error
    assert message.media_retry_at > timezone.now()
    assert [event for event, _, _ in emitted] == ["message.received"]
    assert emitted[0][2]["media"]["status"] == "pending"

    # Not due yet: the next loop does not retry.
    assert pump.send_due(session_id=session.pk, engine=engine) == 0
    assert len([c for c in engine.calls if c.method == "download_media"]) == 1

    Message.objects.filter(pk=message.pk).update(media_retry_at=timezone.now() - timedelta(seconds=1))
    engine.media[IMG_ID] = (PNG, "image/png")
    pump._last_media_check.clear()
    pump.send_due(session_id=session.pk, engine=engine)

    message.refresh_from_db()
    assert (message.media_status, message.media_attempts, message.media_error) == (MediaStatus.STORED, 2, "")
    assert (media_root / message.media_name).read_bytes() == PNG
    assert len(emitted) == 1  # message.received went out once


def test_download_gives_up_after_max_attempts(session, engine, settings):
    settings.MEDIA_DOWNLOAD_MAX_ATTEMPTS = 2
    engine.media[IMG_ID] = EngineError("gone")
    pump.handle_new_message(session_id=session.pk, data=image_message(), engine=engine)

    Message.objects.update(media_retry_at=None)
    pump.retry_media(session_id=session.pk, engine=engine)

    message = Message.objects.get()
    assert (message.media_status, message.media_attempts, message.media_error) == (
        MediaStatus.FAILED,
        2,
        "gone",
    )
    assert pump.retry_media(session_id=session.pk, engine=engine) == 0


def test_browser_crash_during_download_is_recorded_and_reraised(session, engine, emitted):
    engine.media[IMG_ID] = EngineCrashed("chrome not reachable")

    with pytest.raises(EngineCrashed):
        pump.handle_new_message(session_id=session.pk, data=image_message(), engine=engine)

    message = Message.objects.get()
    assert message.media_status == MediaStatus.PENDING and message.text == "a photo"
    assert [event for event, _, _ in emitted] == ["message.received"]


def test_event_owed_by_a_worker_that_died_before_the_download_is_sent_on_retry(session, engine, emitted):
    # What a crash right after storing leaves behind: pending media, no event yet.
    message = Message.objects.create(
        session=session,
        direction=Direction.INBOUND,
        wa_id=IMG_ID,
        chat_id=CHAT,
        type="image",
        status=MessageStatus.RECEIVED,
        media_status=MediaStatus.PENDING,
        text="a photo",
    )
    engine.media[IMG_ID] = (PNG, "image/png")

    pump.send_due(session_id=session.pk, engine=engine)

    message.refresh_from_db()
    assert message.media_status == MediaStatus.STORED and message.notified_at is not None
    assert [event for event, _, _ in emitted] == ["message.received"]


def test_media_too_large_to_download_fails_without_trying(session, engine, settings):
    settings.MEDIA_DOWNLOAD_MAX_BYTES = 100

    pump.handle_new_message(session_id=session.pk, data=image_message(size=5000), engine=engine)

    message = Message.objects.get()
    assert message.media_status == MediaStatus.FAILED and "MEDIA_DOWNLOAD_MAX_BYTES" in message.media_error
    assert engine.calls == []


# --- restart ------------------------------------------------------------------------------------


def test_recover_interrupted_marks_sending_as_send_uncertain_and_keeps_queue(
    session, other_session, unlimited, emitted
):
    caught, waiting = queue(session, "caught mid-send", "still queued")
    (elsewhere,) = queue(other_session, "other session")
    Message.objects.filter(pk__in=[caught.pk, elsewhere.pk]).update(status=MessageStatus.SENDING)

    assert pump.recover_interrupted(session_id=session.pk) == 1

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

    pump.recover_interrupted(session_id=session.pk)
    pump.send_due(session_id=session.pk, engine=engine)

    assert engine.sent == []


def test_whatsapps_echo_of_an_uncertain_send_settles_it_as_sent(session, engine, unlimited, emitted):
    (caught,) = queue(session, "did it go?")
    Message.objects.filter(pk=caught.pk).update(status=MessageStatus.SENDING)
    pump.recover_interrupted(session_id=session.pk)

    pump.handle_new_message(
        session_id=session.pk,
        data=new_message("true_33612345678@c.us_ECHO", from_me=True, body="did it go?"),
        engine=engine,
    )

    caught.refresh_from_db()
    assert (caught.status, caught.wa_id, caught.error_code) == ("sent", "true_33612345678@c.us_ECHO", "")
    assert Message.objects.count() == 1
    assert statuses(emitted) == ["failed", "sent"]
    ack(session, caught, 2)
    assert caught.status == "delivered"


def test_nothing_is_sent_or_downloaded_while_disconnected(session, engine, unlimited):
    engine.media[IMG_ID] = EngineError("offline")
    pump.handle_new_message(session_id=session.pk, data=image_message(), engine=engine)
    Message.objects.update(media_retry_at=None)
    queue(session, "later")
    session.status = "disconnected"
    session.save()
    calls_before = len(engine.calls)

    assert pump.send_due(session_id=session.pk, engine=engine) == 0

    assert len(engine.calls) == calls_before


def test_unexpected_error_mid_send_is_uncertain_and_reraised(session, engine, unlimited):
    engine.fail_with["boom"] = RuntimeError("webdriver exploded")
    queue(session, "boom")

    with pytest.raises(RuntimeError):
        pump.send_due(session_id=session.pk, engine=engine)

    assert Message.objects.get().error_code == "send_uncertain"


def test_empty_download_is_a_failed_attempt(session, engine):
    engine.media[IMG_ID] = (b"", "image/png")

    pump.handle_new_message(session_id=session.pk, data=image_message(), engine=engine)

    message = Message.objects.get()
    assert (message.media_status, message.media_attempts) == (MediaStatus.PENDING, 1)
    assert "empty" in message.media_error
