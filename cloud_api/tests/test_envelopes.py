"""YesApp's events in the Cloud API's webhook envelope, read back by pywa's own parser."""

import hashlib
import json
from datetime import UTC, datetime

import pytest
from pywa import WhatsApp, handlers, types

from cloud_api.envelopes import render_event
from cloud_api.ids import media_id_for, wamid_for
from cloud_api.receiver import cloud_headers
from messaging.models import Direction, MediaStatus, Message, MessageStatus
from messaging.payloads import message_event_payload

PNG = hashlib.sha256(b"png").hexdigest()
AT = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)
SECRET = "s3cret-s3cret-s3cret"


@pytest.fixture
def receiver(session):
    """pywa's client as a receiver of this session's webhooks, and what its handlers got."""
    wa = WhatsApp(phone_id=str(session.pk), token="unused", app_secret=SECRET, verify_token=SECRET)
    got: list = []
    wa.add_handlers(
        handlers.MessageHandler(lambda _, msg: got.append(msg)),
        handlers.MessageStatusHandler(lambda _, status: got.append(status)),
    )

    def deliver(body: dict) -> list:
        text = json.dumps(body)
        raw = text.encode()
        signature = cloud_headers(secret=SECRET, body=text)["X-Hub-Signature-256"]
        assert wa.webhook_update_validator(raw, signature) is None  # the signature checks out
        assert wa.webhook_update_handler(raw) == ("ok", 200)
        return got

    return deliver


def _inbound(session, **fields) -> Message:
    defaults = dict(
        session=session,
        direction=Direction.INBOUND,
        chat_id="33612345678@c.us",
        phone="+33612345678",
        status=MessageStatus.RECEIVED,
        wa_id="false_33612345678@c.us_A1",
        text="Hello",
        contact_name="Alice",
        wa_timestamp=AT,
    )
    return Message.objects.create(**(defaults | fields))


def test_a_received_text_is_a_pywa_message_with_our_ids(session, receiver):
    message = _inbound(session)
    [(event, body)] = render_event("message.received", message_event_payload(message), session=session, at=AT)
    assert event == "messages" and body["object"] == "whatsapp_business_account"
    value = body["entry"][0]["changes"][0]["value"]
    assert value["metadata"] == {"display_phone_number": "33700000000", "phone_number_id": str(session.pk)}
    assert value["messages"][0]["timestamp"] == str(int(AT.timestamp()))
    [msg] = receiver(body)
    assert isinstance(msg, types.Message)
    assert (msg.id, msg.text, msg.from_user.wa_id, msg.from_user.name) == (
        wamid_for(message.pk),
        "Hello",
        "33612345678",
        "Alice",
    )


def test_a_received_photo_carries_a_media_id_and_its_sha256(session, receiver, media_root):
    message = _inbound(
        session, type="image", text="look", media_status=MediaStatus.STORED, media_mimetype="image/png"
    )
    media_root.mkdir(parents=True, exist_ok=True)
    (media_root / f"{message.pk}.png").write_bytes(b"png")
    message.media_name = f"{message.pk}.png"
    message.save()
    [(_, body)] = render_event("message.received", message_event_payload(message), session=session, at=AT)
    [msg] = receiver(body)
    assert msg.type == "image" and msg.image.id == media_id_for(message.pk)
    assert (msg.image.sha256, msg.image.mime_type, msg.caption) == (PNG, "image/png", "look")


def test_a_reply_names_the_quoted_wamid(session, receiver):
    ours = Message.objects.create(
        session=session, direction=Direction.OUTBOUND, chat_id="33612345678@c.us", text="Q", wa_id="true_1"
    )
    message = _inbound(session, reply_to=ours, reply_to_wa_id="true_1")
    [(_, body)] = render_event("message.received", message_event_payload(message), session=session, at=AT)
    [msg] = receiver(body)
    assert msg.reply_to_message.id == wamid_for(ours.pk)


def test_statuses_of_our_sends_are_pywa_statuses_and_our_own_actions_are_not(session, receiver):
    sent = Message.objects.create(
        session=session,
        direction=Direction.OUTBOUND,
        chat_id="33612345678@c.us",
        phone="+33612345678",
        text="Hi",
        status=MessageStatus.DELIVERED,
        delivered_at=AT,
    )
    [(event, body)] = render_event("message.status", message_event_payload(sent), session=session, at=AT)
    assert event == "statuses"
    [status] = receiver(body)
    assert isinstance(status, types.MessageStatus)
    assert (status.id, status.status, status.from_user.wa_id) == (
        wamid_for(sent.pk),
        "delivered",
        "33612345678",
    )
    read = Message.objects.create(
        session=session,
        direction=Direction.OUTBOUND,
        chat_id="33612345678@c.us",
        action="read",
        status="sent",
    )
    assert render_event("message.status", message_event_payload(read), session=session, at=AT) == []


def test_a_failed_send_carries_its_reason(session, receiver):
    failed = Message.objects.create(
        session=session,
        direction=Direction.OUTBOUND,
        chat_id="33612345678@c.us",
        text="Hi",
        status=MessageStatus.FAILED,
        error_code="send_failed",
        error="WhatsApp refused it",
    )
    [(_, body)] = render_event("message.status", message_event_payload(failed), session=session, at=AT)
    [status] = receiver(body)
    assert status.status == "failed" and "WhatsApp refused it" in status.error.message


def test_a_contacts_reaction_is_a_reaction_message_and_ours_is_not_sent(session, receiver):
    ours = Message.objects.create(
        session=session, direction=Direction.OUTBOUND, chat_id="33612345678@c.us", text="Q"
    )
    payload = message_event_payload(ours) | {
        "reaction": {
            "emoji": "🎉",
            "from": "33612345678@c.us",
            "fromMe": False,
            "phone": "+33612345678",
            "timestamp": "2026-12-01T07:00:00Z",
        }
    }
    [(event, body)] = render_event("message.reaction", payload, session=session, at=AT)
    [msg] = receiver(body)
    assert (
        event == "messages" and msg.reaction.emoji == "🎉" and msg.reaction.message_id == wamid_for(ours.pk)
    )
    payload["reaction"]["fromMe"] = True
    assert render_event("message.reaction", payload, session=session, at=AT) == []


def test_events_the_cloud_api_has_no_word_for_are_not_sent(session):
    message = _inbound(session)
    for name in ("message.edited", "message.revoked", "session.status"):
        assert render_event(name, message_event_payload(message), session=session, at=AT) == []
