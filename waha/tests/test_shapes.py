"""YesApp's message and session pictures in WAHA's shapes, checked against WAHA's OpenAPI."""

import pytest
from jsonschema.exceptions import ValidationError

from sessions_app.models import Session
from waha.shapes import session_info, wa_message
from waha.tests.waha_spec import assert_waha

OUTBOUND = {
    "direction": "outbound",
    "status": "delivered",
    "from": "33700000000@c.us",
    "to": "33612345678@c.us",
    "text": "Hello",
    "waMessageId": "true_33612345678@c.us_3EB0AA",
    "timestamp": "2026-12-01T06:00:00Z",
    "mediaUrl": None,
    "media": None,
    "replyTo": {"messageId": None, "waMessageId": "false_33612345678@c.us_IN1"},
}


def test_an_outbound_message_is_a_wamessage():
    message = wa_message(OUTBOUND)
    assert_waha("WAMessage", message)
    assert (
        message["id"] == "true_33612345678@c.us_3EB0AA" and message["timestamp"] == 1796104800
    )  # 2026-12-01T06:00:00Z
    assert (message["fromMe"], message["ack"], message["ackName"]) == (True, 2, "DEVICE")
    assert message["replyTo"] == {"id": "false_33612345678@c.us_IN1"}


@pytest.mark.parametrize(
    "status, ack, name",
    [("queued", 0, "PENDING"), ("sent", 1, "SERVER"), ("read", 3, "READ"), ("failed", -1, "ERROR")],
)
def test_acks_follow_the_status(status, ack, name):
    message = wa_message({**OUTBOUND, "status": status})
    assert (message["ack"], message["ackName"]) == (ack, name)


def test_media_and_location_are_kept():
    media = {"mimetype": "image/png", "filename": "dot.png", "status": "stored", "size": 3}
    photo = wa_message({**OUTBOUND, "media": media, "mediaUrl": "http://x/api/v1/media/1"})
    assert photo["hasMedia"] and photo["media"] == {
        "url": "http://x/api/v1/media/1",
        "mimetype": "image/png",
        "filename": "dot.png",
    }
    place = wa_message({**OUTBOUND, "location": {"latitude": 48.8, "longitude": 2.3, "name": "Paris"}})
    assert place["location"]["latitude"] == "48.8" and place["location"]["name"] == "Paris"


@pytest.mark.django_db
def test_a_session_is_a_session_info():
    session = Session(name="shop", status="connected", phone="+33612345678", push_name="Shop")
    assert_waha("SessionInfo", session_info(session, config={"webhooks": []}))
    assert_waha("SessionInfo", session_info(Session(name="new", status="qr"), config={}))


def test_the_checker_refuses_what_waha_would_not_send():
    with pytest.raises(ValidationError):
        assert_waha("WAMessage", {**wa_message(OUTBOUND), "timestamp": "2026-12-01"})
