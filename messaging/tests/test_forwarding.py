"""Forwarding without a browser: what POST .../forward accepts and refuses, what reaches the
engine, and how WhatsApp's echo gives the copy its id."""

import pytest
from django.utils import timezone

from messaging import inbound, outbound
from messaging.models import Message
from messaging.tests.conftest import new_message
from sessions_app.engine.base import SendResult

OTHER = "+4915112345678"


def forward(api, session, message_id, body, **headers):
    url = f"/api/v1/sessions/{session.pk}/messages/{message_id}/forward"
    return api.post(url, body, format="json", headers=headers)


def received(session, wa_id="false_33612345678@c.us_IN1", **event) -> Message:
    inbound.handle_new_message(session_id=session.pk, data=new_message(wa_id, **event), engine=None)
    return Message.objects.get(session=session, wa_id=wa_id)


@pytest.mark.parametrize("body", [{}, {"to": 4915112345678}, {"to": "12"}, {"to": "x@y"}, {"to": ""}])
def test_a_bad_recipient_is_400_and_stores_nothing(api, session, body):
    original = received(session)

    response = forward(api, session, original.pk, body)

    assert response.status_code == 400, response.content
    assert "to" in response.json()["error"]["details"]
    assert Message.objects.count() == 1


def test_unknown_unsent_revoked_and_action_targets_are_refused(api, session, other_session):
    original = received(session)
    unsent = Message.objects.create(session=session, direction="outbound", status="queued", chat_id="1@c.us")
    revoked = received(session, "false_33612345678@c.us_IN2")
    Message.objects.filter(pk=revoked.pk).update(revoked_at=timezone.now())
    action = Message.objects.create(
        session=session, direction="outbound", status="sent", action="reaction", target=original, text="👍"
    )
    elsewhere = received(other_session, "false_33612345678@c.us_IN3")

    answers = {
        "unknown": forward(api, session, "9b2f3c1a-5d6e-4f70-8a91-b2c3d4e5f601", {"to": OTHER}),
        "elsewhere": forward(api, session, elsewhere.pk, {"to": OTHER}),
        "unsent": forward(api, session, unsent.pk, {"to": OTHER}),
        "revoked": forward(api, session, revoked.pk, {"to": OTHER}),
        "action": forward(api, session, action.pk, {"to": OTHER}),
    }
    codes = {name: (a.status_code, a.json()["error"]["code"]) for name, a in answers.items()}
    assert codes == {
        "unknown": (404, "message_not_found"),
        "elsewhere": (404, "message_not_found"),
        "unsent": (409, "message_not_sent"),
        "revoked": (409, "message_revoked"),
        "action": (404, "message_not_found"),
    }
    assert not Message.objects.filter(content__forwarded=True).exists()


def test_a_disconnected_session_is_409(api, session):
    original = received(session)
    session.status = "disconnected"
    session.save(update_fields=["status"])

    response = forward(api, session, original.pk, {"to": OTHER})

    assert response.status_code == 409 and response.json()["error"]["code"] == "session_not_connected"


def test_a_forward_is_a_queued_message_sent_by_forwarding_and_named_by_its_echo(
    api, session, engine, unlimited, emitted
):
    original = received(session, body="Meet at 10", mentionedJidList=["33611111111@c.us"])

    response = forward(api, session, original.pk, {"to": OTHER}, **{"Idempotency-Key": "fw-1"})
    again = forward(api, session, original.pk, {"to": "+33699999999"}, **{"Idempotency-Key": "fw-1"})

    assert response.status_code == 202, response.content
    copy = response.json()
    assert again.json()["messageId"] == copy["messageId"] and again["Idempotent-Replayed"] == "true"
    assert (copy["chatId"], copy["text"], copy["type"]) == ("4915112345678@c.us", "Meet at 10", "text")
    assert copy["forwarded"] is True and copy["mentions"] == [] and copy["status"] == "queued"

    outbound.send_due(session_id=session.pk, engine=engine)
    (call,) = engine.sent
    assert (call.method, call.chat_id, call.wa_id) == ("send_forward", "4915112345678@c.us", original.wa_id)
    row = Message.objects.get(pk=copy["messageId"])
    assert row.status == "sent" and row.wa_id == ""

    echo = new_message(
        "true_4915112345678@c.us_3EB0FW",
        from_me=True,
        remote="4915112345678@c.us",
        body="Meet at 10",
        isForwarded=True,
    )
    inbound.handle_new_message(session_id=session.pk, data=echo, engine=engine)
    row.refresh_from_db()
    assert row.wa_id == "true_4915112345678@c.us_3EB0FW" and not row.from_phone
    assert Message.objects.filter(direction="outbound").count() == 1


def test_forwarding_a_location_copies_what_it_holds(api, session, engine, unlimited):
    place = received(
        session, "false_33612345678@c.us_LOC", type="location", body="", lat=48.85, lng=2.29, loc="Paris"
    )

    copy = forward(api, session, place.pk, {"to": OTHER}).json()

    assert copy["type"] == "location" and copy["location"]["latitude"] == 48.85 and copy["forwarded"]


def test_a_forward_whatsapp_refuses_fails_with_its_reason(api, session, engine, unlimited):
    original = received(session)
    engine.fail_with[original.wa_id] = SendResult(wa_id="", ack=0, error="NOT_FORWARDED")

    copy = forward(api, session, original.pk, {"to": OTHER}).json()
    outbound.send_due(session_id=session.pk, engine=engine)

    row = Message.objects.get(pk=copy["messageId"])
    assert (row.status, row.error_code) == ("failed", "whatsapp_error") and "NOT_FORWARDED" in row.error
