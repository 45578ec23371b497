"""YesApp's logged events rendered in WAHA's webhook shape, checked against WAHA's OpenAPI."""

import hashlib
import hmac
import json

import pytest

from events.body import build_body
from messaging.models import Message
from messaging.payloads import message_event_payload
from sessions_app.models import Session
from waha.tests.waha_spec import assert_waha
from waha.webhook_events import event_id, waha_events
from waha.webhook_signing import waha_headers

pytestmark = pytest.mark.django_db
CHAT = "33612345678@c.us"


@pytest.fixture
def session(db) -> Session:
    return Session.objects.create(
        name="shop", status="connected", phone="+33700000000", wid="33700000000@c.us", push_name="Shop"
    )


def _received(session) -> str:
    message = Message.objects.create(
        session=session,
        direction="inbound",
        status="received",
        chat_id=CHAT,
        phone="+33612345678",
        text="hello",
        wa_id=f"false_{CHAT}_IN1",
    )
    payload = message_event_payload(message)
    return build_body(event="message.received", session_id=session.pk, payload=payload)


def test_a_received_message_is_wahas_message_and_message_any(session):
    rendered = waha_events(name="message.received", body_text=_received(session), session=session, entry_id=7)
    assert [name for name, _ in rendered] == ["message", "message.any"]
    envelope = json.loads(rendered[0][1])
    assert_waha("WAHAWebhookMessage", envelope)
    assert (envelope["event"], envelope["session"], envelope["engine"]) == ("message", "shop", "WPP")
    assert envelope["me"] == {"id": "33700000000@c.us", "pushName": "Shop"}
    assert envelope["payload"]["id"] == f"false_{CHAT}_IN1" and envelope["payload"]["body"] == "hello"
    assert envelope["timestamp"] > 10**12  # milliseconds


def test_the_same_entry_renders_the_same_bytes(session):
    body = _received(session)
    first = waha_events(name="message.received", body_text=body, session=session, entry_id=7)
    assert waha_events(name="message.received", body_text=body, session=session, entry_id=7) == first
    ids = {json.loads(text)["id"] for _, text in first}
    assert len(ids) == 2  # message and message.any are two events


def test_session_status_and_unknown_events():
    session = Session(name="shop", status="qr")
    body = json.dumps({"event": "session.status", "status": "qr", "timestamp": "2026-12-01T06:00:00Z"})
    [(name, text)] = waha_events(name="session.status", body_text=body, session=session, entry_id=1)
    assert name == "session.status" and json.loads(text)["payload"] == {
        "name": "shop",
        "status": "SCAN_QR_CODE",
    }
    assert waha_events(name="something.else", body_text=body, session=session, entry_id=1) == []


def test_event_ids_are_wahas_ulids():
    assert len(event_id(at_ms=1764568800000, seed="x")) == 30
    assert event_id(at_ms=1, seed="x") < event_id(at_ms=2, seed="x")


def test_the_signature_is_hmac_sha512_of_the_body_as_waha_documents():
    body = '{"event":"message"}'
    headers = waha_headers(body=body, key="s3cret", request_id="r1", timestamp_ms=5)
    assert headers["X-Webhook-Hmac-Algorithm"] == "sha512"
    assert headers["X-Webhook-Hmac"] == hmac.new(b"s3cret", body.encode(), hashlib.sha512).hexdigest()
    assert "X-Webhook-Hmac" not in waha_headers(body=body, key="", request_id="r1", timestamp_ms=5)


def test_the_outbox_stores_wahas_events_for_a_waha_webhook_and_signs_them(session, settings):
    from messaging.inbound_media import message_emit_received
    from waha.webhook_config import waha_session_webhooks_set
    from webhooks.models import WebhookDelivery
    from webhooks.payloads import request_headers

    settings.WEBHOOK_ALLOW_PRIVATE = True
    hooks = [
        {"url": "http://127.0.0.1:9/only-message", "events": ["message"], "hmac": {"key": "k" * 20}},
        {"url": "http://127.0.0.1:9/all", "events": ["*"]},
    ]
    waha_session_webhooks_set(session=session, webhooks=hooks)
    message = Message.objects.create(
        session=session,
        direction="inbound",
        status="received",
        chat_id=CHAT,
        text="hi",
        wa_id=f"false_{CHAT}_X",
    )
    message_emit_received(message=message)
    deliveries = WebhookDelivery.objects.order_by("config_id", "id")
    assert [(d.config.url.rsplit("/", 1)[1], d.event) for d in deliveries] == [
        ("only-message", "message"),
        ("all", "message"),
        ("all", "message.any"),
    ]
    first = deliveries[0]
    assert_waha("WAHAWebhookMessage", json.loads(first.body))
    headers = request_headers(first, first.config)
    expected = hmac.new(b"k" * 20, first.body.encode(), hashlib.sha512).hexdigest()
    assert headers["X-Webhook-Hmac"] == expected and headers["X-Webhook-Hmac-Algorithm"] == "sha512"
    assert not any(name.startswith("X-YesApp-") for name in headers)


def test_poll_votes_and_typing_in_wahas_shapes(session):
    vote = {
        "event": "poll.vote",
        "direction": "outbound",
        "chatId": CHAT,
        "from": "33700000000@c.us",
        "to": CHAT,
        "waMessageId": f"true_{CHAT}_POLL",
        "timestamp": "2026-12-01T06:00:00Z",
        "vote": {
            "from": CHAT,
            "fromMe": False,
            "selectedOptions": ["Pizza"],
            "timestamp": "2026-12-01T06:01:00Z",
        },
    }
    [(name, text)] = waha_events(name="poll.vote", body_text=json.dumps(vote), session=session, entry_id=3)
    payload = json.loads(text)["payload"]
    assert name == "poll.vote" and payload["vote"]["selectedOptions"] == ["Pizza"]
    assert payload["poll"] == {
        "id": f"true_{CHAT}_POLL",
        "from": "33700000000@c.us",
        "fromMe": True,
        "to": CHAT,
    }
    typing = {
        "event": "chat.presence",
        "chatId": CHAT,
        "from": CHAT,
        "state": "typing",
        "timestamp": vote["timestamp"],
    }
    [(name, text)] = waha_events(
        name="chat.presence", body_text=json.dumps(typing), session=session, entry_id=4
    )
    assert name == "presence.update"
    assert json.loads(text)["payload"]["presences"][0]["lastKnownPresence"] == "typing"


def test_the_receiver_check_in_compatibility_md_accepts_a_real_delivery(session, settings):
    """docs/COMPATIBILITY.md's check, as a user would copy it, on what the outbox signs."""
    import re

    from messaging.inbound_media import message_emit_received
    from waha.webhook_config import waha_session_webhooks_set
    from webhooks.models import WebhookDelivery
    from webhooks.payloads import request_headers
    from yesapp.tests.fixtures import ROOT

    settings.WEBHOOK_ALLOW_PRIVATE = True
    key = "a-key-of-twenty-chars"
    waha_session_webhooks_set(
        session=session,
        webhooks=[{"url": "http://127.0.0.1:9/h", "events": ["message"], "hmac": {"key": key}}],
    )
    message = Message.objects.create(
        session=session,
        direction="inbound",
        status="received",
        chat_id=CHAT,
        text="hi",
        wa_id=f"false_{CHAT}_Y",
    )
    message_emit_received(message=message)
    delivery = WebhookDelivery.objects.get()
    headers = request_headers(delivery, delivery.config)
    waha_part = (ROOT / "docs" / "COMPATIBILITY.md").read_text().split("## WhatsApp Cloud API")[0]
    [snippet] = re.findall(r"```python\n(.*?)```", waha_part, re.S)
    namespace: dict = {}
    exec(snippet, namespace)  # noqa: S102 - the documented code, run as written
    assert namespace["verified"](delivery.body.encode(), headers, key)
    assert not namespace["verified"](delivery.body.encode() + b" ", headers, key)


def test_a_queued_messages_wait_has_no_waha_event(session):
    message = Message.objects.create(
        session=session, direction="outbound", status="queued", chat_id=CHAT, text="hi", waiting_for="typing"
    )
    payload = message_event_payload(message) | {"previousStatus": "queued"}
    body = build_body(event="message.status", session_id=session.pk, payload=payload)
    # WAHA tells of a message once WhatsApp has it (message.ack); YesApp's waits are its own.
    assert waha_events(name="message.status", body_text=body, session=session, entry_id=3) == []
