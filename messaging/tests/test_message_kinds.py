"""Replies, locations, contact cards, voice notes and polls without a browser: what the send
API accepts and refuses, what reaches the engine, and what a received one becomes."""

import base64

import pytest

from messaging import inbound, outbound
from messaging.models import Message
from messaging.tests.conftest import CHAT, PNG, TO, new_message

# The smallest file `filetype` sees as audio (an MP3 with an ID3 header).
MP3 = b"ID3\x03\x00\x00\x00\x00\x00\x0f" + b"\x00" * 64
VCARD = (
    "BEGIN:VCARD\nVERSION:3.0\nFN:Anna Schmidt\nTEL;type=CELL;waid=4915112345678:+49 151 12345678\nEND:VCARD"
)


def post(api, session, body):
    return api.post(f"/api/v1/sessions/{session.pk}/messages", {"to": TO, **body}, format="json")


def received(session, wa_id="false_33612345678@c.us_IN1", **event) -> Message:
    inbound.handle_new_message(session_id=session.pk, data=new_message(wa_id, **event), engine=None)
    return Message.objects.get(session=session, wa_id=wa_id)


# --- Refused: a clear 400/404/409 in the one error shape, and nothing stored ----------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"location": {"latitude": 91, "longitude": 2.35}}, "location"),
        ({"location": {"latitude": 48.85, "longitude": -180.5}}, "location"),
        ({"location": {"latitude": "48.85", "longitude": 2.35}}, "location"),
        ({"location": {"latitude": True, "longitude": 2.35}}, "location"),
        ({"location": {"longitude": 2.35}}, "location"),
        ({"type": "location", "text": "here"}, "location"),
        ({"location": {"latitude": 1, "longitude": 2}, "text": "here"}, "text"),
        ({"contacts": []}, "contacts"),
        ({"contacts": [{"name": "Anna"}]}, "contacts"),
        ({"contacts": [{"name": "Anna", "phone": "12"}]}, "contacts"),
        ({"contacts": "Anna"}, "contacts"),
        ({"type": "contact"}, "contacts"),
        ({"contacts": [{"name": "A", "phone": TO}], "vcard": VCARD}, "vcard"),
        ({"poll": {"question": "Lunch?", "options": ["Pizza"]}}, "poll"),
        ({"poll": {"question": "Lunch?", "options": [str(n) for n in range(13)]}}, "poll"),
        ({"poll": {"question": "Lunch?", "options": ["a", "b"], "multipleAnswers": "yes"}}, "poll"),
        ({"type": "voice", "text": "no file"}, "media"),
        ({"type": "image", "location": {"latitude": 1, "longitude": 2}}, "media"),
        ({"type": "text", "location": {"latitude": 1, "longitude": 2}}, "type"),
        ({"type": "sticker", "text": "hi"}, "type"),
        ({"text": "hi", "replyTo": 42}, "replyTo"),
    ],
)
def test_malformed_kinds_are_400_naming_the_field_and_store_nothing(api, session, body, field):
    response = post(api, session, body)

    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["details"], error
    assert not Message.objects.exists()


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"vcard": "FN:Anna"}, "validation_error"),
        ({"vcard": "BEGIN:VCARD\nFN:Anna\nEND:VCARD"}, "validation_error"),
        ({"poll": {"question": "Lunch?", "options": ["Pizza", "Pizza"]}}, "validation_error"),
        ({"type": "voice", "media": {"data": base64.b64encode(PNG).decode()}}, "media_type_mismatch"),
    ],
)
def test_content_the_service_cannot_send_is_400_with_its_code(api, session, body, code):
    response = post(api, session, body)

    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == code
    assert not Message.objects.exists()


def test_reply_to_an_unknown_message_is_404_and_to_an_unsent_one_409(api, session, other_session):
    unsent = Message.objects.create(session=session, direction="outbound", status="queued", chat_id=CHAT)
    elsewhere = Message.objects.create(
        session=other_session, direction="inbound", status="received", chat_id=CHAT, wa_id="false_x_OTHER"
    )

    for reference in (
        "9b2f3c1a-5d6e-4f70-8a91-b2c3d4e5f601",
        "false_33612345678@c.us_NOPE",
        str(elsewhere.pk),
    ):
        response = post(api, session, {"text": "re", "replyTo": reference})
        assert response.status_code == 404, response.content
        assert response.json()["error"]["code"] == "reply_to_not_found"
        assert response.json()["error"]["details"] == {"replyTo": reference}

    response = post(api, session, {"text": "re", "replyTo": str(unsent.pk)})
    assert response.status_code == 409 and response.json()["error"]["code"] == "reply_to_not_sent"
    assert Message.objects.filter(session=session).count() == 1


# --- Accepted: stored, shown, and handed to the engine with its options ---------------------------


def test_each_kind_is_queued_with_its_content_and_sent_through_its_wa_js_call(
    api, session, engine, unlimited
):
    quoted = received(session, body="Where are you?")
    bodies = [
        {
            "location": {"latitude": 48.8584, "longitude": 2.2945, "name": "Eiffel Tower"},
            "replyTo": quoted.wa_id,
        },
        {"contacts": [{"name": "Anna", "phone": "+4915112345678"}], "replyTo": str(quoted.pk)},
        {"vcard": VCARD},
        {"type": "voice", "media": {"data": base64.b64encode(MP3).decode()}, "replyTo": str(quoted.pk)},
        {"poll": {"question": "Lunch?", "options": ["Pizza", "Sushi"], "multipleAnswers": True}},
        {"text": "On my way", "replyTo": quoted.wa_id},
    ]
    answers = [post(api, session, body) for body in bodies]
    assert [a.status_code for a in answers] == [202] * 6, [a.content for a in answers]
    location, contact, vcard, voice, poll, text = (a.json() for a in answers)

    assert location["type"] == "location" and location["location"] == {
        "latitude": 48.8584,
        "longitude": 2.2945,
        "name": "Eiffel Tower",
        "address": "",
    }
    assert location["replyTo"] == {"messageId": str(quoted.pk), "waMessageId": quoted.wa_id}
    assert contact["type"] == "contact" and contact["contacts"][0]["phone"] == "+4915112345678"
    assert "waid=4915112345678" in contact["contacts"][0]["vcard"]
    assert vcard["contacts"] == [{"name": "Anna Schmidt", "phone": "+4915112345678", "vcard": VCARD}]
    assert voice["type"] == "voice" and voice["media"]["mimetype"] == "audio/mpeg"
    assert poll["poll"] == {
        "question": "Lunch?",
        "options": ["Pizza", "Sushi"],
        "multipleAnswers": True,
        "tally": [{"option": "Pizza", "votes": 0}, {"option": "Sushi", "votes": 0}],
    }
    assert text["replyTo"]["waMessageId"] == quoted.wa_id and text["location"] is None

    while outbound.send_due(session_id=session.pk, engine=engine):
        pass
    calls = {call.method: call for call in engine.sent}
    assert calls["send_location"].content["latitude"] == 48.8584
    assert calls["send_location"].quoted_id == quoted.wa_id
    assert [c["name"] for c in calls["send_contacts"].content] == ["Anna Schmidt"]  # the last card sent
    assert calls["send_media"].media.kind == "audio"
    assert calls["send_media"].media.extra == {"quotedMsg": quoted.wa_id, "isPtt": True, "waveform": True}
    assert calls["send_poll"].content["options"] == ["Pizza", "Sushi"]
    assert calls["send_text"].quoted_id == quoted.wa_id
    assert set(Message.objects.filter(direction="outbound").values_list("status", flat=True)) == {"sent"}


# --- Received ------------------------------------------------------------------------------------


def test_received_kinds_carry_their_content_in_the_api_words(session, emitted):
    location = received(
        session,
        "false_33612345678@c.us_L",
        type="location",
        body="",
        lat=48.85,
        lng=2.35,
        loc="Home\n1 Rue X",
    )
    card = received(
        session, "false_33612345678@c.us_V", type="vcard", body=VCARD, vcardFormattedName="Anna Schmidt"
    )
    cards = received(
        session,
        "false_33612345678@c.us_M",
        type="multi_vcard",
        body="",
        vcardList=[{"displayName": "Anna", "vcard": VCARD}, {"displayName": "Bob", "vcard": "BEGIN:VCARD"}],
    )
    poll = received(
        session,
        "false_33612345678@c.us_P",
        type="poll_creation",
        body="",
        pollName="Lunch?",
        pollOptions=[{"name": "Pizza", "localId": 0}, {"name": "Sushi", "localId": 1}],
        pollSelectableOptionsCount=1,
    )

    assert (location.type, location.content["location"]) == (
        "location",
        {"latitude": 48.85, "longitude": 2.35, "name": "Home", "address": "1 Rue X"},
    )
    assert card.type == "contact" and card.text == ""
    assert card.content["contacts"] == [{"name": "Anna Schmidt", "phone": "+4915112345678", "vcard": VCARD}]
    assert [(c["name"], c["phone"]) for c in cards.content["contacts"]] == [
        ("Anna", "+4915112345678"),
        ("Bob", ""),
    ]
    assert poll.content["poll"] == {
        "question": "Lunch?",
        "options": ["Pizza", "Sushi"],
        "multipleAnswers": False,
    }
    webhooks = {payload["waMessageId"]: payload for name, _, payload in emitted if name == "message.received"}
    assert webhooks[location.wa_id]["location"]["name"] == "Home"
    assert webhooks[poll.wa_id]["poll"]["options"] == ["Pizza", "Sushi"]


def test_a_received_voice_note_is_voice(session, engine):
    engine.media["false_33612345678@c.us_PTT"] = (MP3, "audio/ogg; codecs=opus")
    inbound.handle_new_message(
        session_id=session.pk,
        data=new_message("false_33612345678@c.us_PTT", type="ptt", body="", mimetype="audio/ogg"),
        engine=engine,
    )

    message = Message.objects.get()
    assert (message.type, message.media_status) == ("voice", "stored")


def test_a_received_reply_names_the_quoted_message_by_both_ids_when_stored(session, emitted):
    ours = Message.objects.create(
        session=session,
        direction="outbound",
        status="sent",
        chat_id=CHAT,
        wa_id="true_33612345678@c.us_3EB0AA",
    )

    reply = received(session, "false_33612345678@c.us_R1", body="Yes!", quotedMsgId="3EB0AA")
    unknown = received(
        session, "false_33612345678@c.us_R2", body="?", quotedMsgId="3EB0GONE", quotedParticipant=session.wid
    )
    theirs = received(
        session, "false_33612345678@c.us_R3", body="?", quotedMsgId="3AOLD", quotedParticipant=CHAT
    )

    assert (reply.reply_to_id, reply.reply_to_wa_id) == (ours.pk, ours.wa_id)
    webhook = next(p for n, _, p in emitted if n == "message.received" and p["waMessageId"] == reply.wa_id)
    assert webhook["replyTo"] == {"messageId": str(ours.pk), "waMessageId": ours.wa_id}
    # Not stored here: WhatsApp's key for it, built as WhatsApp builds it.
    assert (unknown.reply_to_id, unknown.reply_to_wa_id) == (None, "true_33612345678@c.us_3EB0GONE")
    assert theirs.reply_to_wa_id == "false_33612345678@c.us_3AOLD"
