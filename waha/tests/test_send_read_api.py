"""WAHA's sending and reading endpoints over YesApp's queue, without an engine: what is
refused, what is queued, and what is read back in WAHA's shapes. The sends that reach WhatsApp
(the sandbox) are in test_waha_client.py."""

from datetime import UTC, datetime

import pytest

from groups.api.serializers import INVITE_CODE_PATTERN
from messaging.models import Message
from sessions_app.models import Session
from waha.tests.test_sessions_api import waha_error
from yesapp.validators import OffsetField

pytestmark = pytest.mark.django_db
CHAT = "33612345678@c.us"


@pytest.fixture
def working(db) -> Session:
    return Session.objects.create(
        name="default", status="connected", phone="+33700000000", wid="33700000000@c.us"
    )


def test_a_send_on_a_session_not_working_is_wahas_422_and_stores_nothing(api):
    Session.objects.create(name="default", status="qr")
    body = waha_error(api.post("/api/sendText", {"chatId": CHAT, "text": "hi"}, format="json"), 422)
    assert body["message"].startswith("Session status is not as expected")
    assert not Message.objects.exists()


def test_bad_input_is_wahas_400(api, working):
    waha_error(api.post("/api/sendText", {"chatId": CHAT}, format="json"), 400)
    waha_error(
        api.post("/api/sendImage", {"chatId": CHAT, "file": {"mimetype": "image/png"}}, format="json"), 400
    )
    waha_error(api.post("/api/sendText", {"chatId": "nope", "text": "x"}, format="json"), 400)
    assert not Message.objects.exists()


def test_mentions_and_link_preview_are_kept_on_the_queued_message(api, working, settings):
    settings.WAHA_SEND_WAIT = 0
    body = {"chatId": CHAT, "text": "hi", "mentions": ["33698765432@c.us"], "linkPreview": False}
    waha_error(api.post("/api/sendText", body, format="json"), 504)
    content = Message.objects.get().content
    assert content["mentions"] == ["33698765432@c.us"] and content["linkPreview"] is False


def test_mentioning_all_outside_a_group_is_400(api, working):
    body = {"chatId": CHAT, "text": "hi", "mentions": ["all"]}
    waha_error(api.post("/api/sendText", body, format="json"), 400)
    assert not Message.objects.exists()


def test_a_send_not_done_in_time_is_504_and_stays_queued(api, working, settings):
    settings.WAHA_SEND_WAIT = 0.3
    body = waha_error(api.post("/api/sendText", {"chatId": CHAT, "text": "hi"}, format="json"), 504)
    message = Message.objects.get()
    assert message.status == "queued" and message.text == "hi" and message.chat_id == CHAT
    assert str(message.pk) in body["message"]


@pytest.mark.parametrize("spelling", ["reply_to", "replyTo"])
def test_replying_to_an_unknown_message_is_404(api, working, spelling):
    body = {"chatId": CHAT, "text": "hi", spelling: f"false_{CHAT}_NOPE"}
    waha_error(api.post("/api/sendText", body, format="json"), 404)
    assert not Message.objects.exists()


def test_other_kinds_are_queued_as_yesapp_messages(api, working, settings):
    settings.WAHA_SEND_WAIT = 0
    sends = [
        ("/api/sendLocation", {"latitude": 48.85, "longitude": 2.35, "title": "Paris"}, "location"),
        (
            "/api/sendContactVcard",
            {"contacts": [{"fullName": "Ann", "phoneNumber": "33698765432"}]},
            "contact",
        ),
        ("/api/sendPoll", {"poll": {"name": "Lunch?", "options": ["Yes", "No"]}}, "poll"),
    ]
    for path, body, kind in sends:
        waha_error(api.post(path, {"chatId": CHAT, **body}, format="json"), 504)
        assert Message.objects.order_by("-created_at").first().type == kind
    assert Message.objects.get(type="location").content["location"]["name"] == "Paris"
    assert Message.objects.get(type="contact").content["contacts"][0]["phone"] == "+33698765432"


def test_seen_and_typing_are_queued_actions(api, working):
    for path, action, text in [("/api/sendSeen", "read", ""), ("/api/startTyping", "presence", "typing")]:
        response = api.post(path, {"chatId": CHAT}, format="json")
        assert response.status_code == 201, response.content
        row = Message.objects.order_by("-created_at").first()
        assert (row.action, row.text) == (action, text)
    assert api.post("/api/stopTyping", {"chatId": CHAT}, format="json").status_code == 201
    assert Message.objects.order_by("-created_at").first().text == "paused"


def _stored(session, **fields) -> Message:
    defaults = dict(direction="inbound", status="received", chat_id=CHAT, text="hello", phone="+33612345678")
    return Message.objects.create(session=session, **(defaults | fields))


def test_reaction_by_whatsapp_id(api, working):
    target = _stored(working, wa_id=f"false_{CHAT}_ABC")
    assert (
        api.put("/api/reaction", {"messageId": target.wa_id, "reaction": "👍"}, format="json").status_code
        == 200
    )
    assert Message.objects.get(action="reaction").target == target
    waha_error(
        api.put("/api/reaction", {"messageId": f"false_{CHAT}_X", "reaction": "👍"}, format="json"), 404
    )


def test_chats_and_chat_messages_in_wahas_shapes(api, working):
    when = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
    _stored(working, wa_id=f"false_{CHAT}_IN1", contact_name="Ann", wa_timestamp=when)
    _stored(working, chat_id="33611111111@c.us", wa_id="false_33611111111@c.us_IN2", phone="+33611111111")
    chats = api.get("/api/default/chats").json()
    assert [chat["id"] for chat in chats] == ["33611111111@c.us", CHAT]
    assert chats[1]["name"] == "Ann" and isinstance(chats[1]["conversationTimestamp"], int)
    [message] = api.get(f"/api/default/chats/{CHAT}/messages").json()
    assert message["id"] == f"false_{CHAT}_IN1" and message["timestamp"] == int(when.timestamp())
    assert (message["from"], message["to"], message["fromMe"]) == (CHAT, "33700000000@c.us", False)
    assert (message["body"], message["hasMedia"], message["ack"], message["ackName"]) == (
        "hello",
        False,
        1,
        "SERVER",
    )


def test_check_exists_needs_a_working_session(api):
    Session.objects.create(name="default", status="qr")
    waha_error(api.get("/api/contacts/check-exists", {"phone": "33612345678"}), 422)


def test_groups_need_a_working_session(api):
    Session.objects.create(name="default", status="qr")
    waha_error(api.get("/api/default/groups"), 422)
    waha_error(
        api.post("/api/default/groups", {"name": "Team", "participants": [{"id": CHAT}]}, format="json"), 422
    )


def test_a_key_limited_to_other_sessions_cannot_send_through_this_one(anon_api, working):
    from yesapp.apikeys import apikey_create

    other = Session.objects.create(name="other", status="connected")
    _, raw = apikey_create(name="scoped", is_admin=False, session_ids=[other.pk])
    anon_api.credentials(HTTP_X_API_KEY=raw)
    waha_error(anon_api.post("/api/sendText", {"chatId": CHAT, "text": "hi"}, format="json"), 404)
    waha_error(anon_api.get("/api/default/chats"), 404)
    waha_error(anon_api.get("/api/contacts/check-exists", {"phone": "33612345678"}), 404)
    assert not Message.objects.exists()


def test_the_schema_states_what_waha_refuses_in_group_calls_and_contact_cards(api, openapi_schema):
    """Found by fuzzing through the session's real name: an empty list of people or cards and an
    invite code of any text were valid by the schema, and answered 400."""
    schemas = openapi_schema["components"]["schemas"]
    assert schemas["WahaParticipantsRequest"]["properties"]["participants"]["minItems"] == 1
    assert schemas["WahaParticipantRequest"]["properties"]["id"]["format"] == "whatsapp-participant"
    assert schemas["WahaJoinRequest"]["properties"]["code"]["pattern"] == INVITE_CODE_PATTERN
    assert schemas["WahaSendContactVcardRequest"]["properties"]["contacts"]["minItems"] == 1
    Session.objects.create(name="default", sandbox=True)

    empty = api.post("/api/default/groups/123@g.us/participants/add", {"participants": []}, format="json")
    code = api.post("/api/default/groups/join", {"code": "not a code"}, format="json")
    cards = api.post("/api/sendContactVcard", {"chatId": "33612345678@c.us", "contacts": []}, format="json")

    assert (empty.status_code, code.status_code, cards.status_code) == (400, 400, 400)


def test_an_offset_past_sqls_integers_is_wahas_400_not_a_500(api, working, openapi_schema):
    """Found by fuzzing through the session's real name: offset=2**64 failed in the query."""
    waha_error(api.get("/api/default/chats", {"offset": 2**64}), 400)
    waha_error(api.get(f"/api/default/chats/{CHAT}/messages", {"offset": 2**64}), 400)
    [offset] = [
        p
        for p in openapi_schema["paths"]["/api/{session}/chats"]["get"]["parameters"]
        if p["name"] == "offset"
    ]
    assert offset["schema"]["maximum"] == OffsetField.MAX_OFFSET


def test_a_pairing_code_for_what_is_not_a_number_is_400_and_the_schema_says_phone(
    api, working, openapi_schema
):
    waha_error(api.post("/api/default/auth/request-code", {"phoneNumber": "0" * 29}, format="json"), 400)
    body = openapi_schema["components"]["schemas"]["WahaRequestCodeInputRequest"]
    assert body["properties"]["phoneNumber"]["format"] == "phone"
