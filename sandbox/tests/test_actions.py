"""Reactions, deletes and edits in the sandbox without a browser: the page endpoints that stand
in for WPP.chat.sendReactionToMessage / deleteMessage / editMessage, and the phone's API that
makes a contact react, delete or edit (the page then fires the wa-js event)."""

import json
import time
from datetime import datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from sandbox import selectors
from sandbox.models import SandboxMessage
from sandbox.services.device import sandbox_device, sandbox_disconnect
from sandbox.services.page import sandbox_page_mark_read, sandbox_page_send
from sandbox.tests.test_api import CONTACT, api_url, link, page_path

CHAT = "4915112345678@c.us"


@pytest.fixture
def linked(api, sandbox_session) -> str:
    return link(api, sandbox_session)


def theirs(api, session, text="Hello") -> str:
    response = api.post(api_url(session.id, "inbound"), {"from": CONTACT, "text": text}, format="json")
    return response.json()["id"]


def ours(session, token, text="See you at 9") -> str:
    return sandbox_page_send(session=session, device_token=token, chat_id=CHAT, text=text).wa_id


def page_post(session, token, name, body):
    response = Client().post(
        page_path(session, name),
        json.dumps(body),
        content_type="application/json",
        HTTP_X_SANDBOX_DEVICE=token,
    )
    return response.status_code, response.json()


def phone(api, session, wa_id) -> dict:
    return api.get(api_url(session.id, f"messages/{wa_id}")).json()


def last_page_event(session) -> dict:
    event = session.sandbox_events.order_by("-cursor").first()
    return selectors.page_event(event, me=session.sandbox_device.wid)


# --- the page: what the session does ------------------------------------------------------------


def test_the_sessions_reaction_edit_and_revoke_are_what_the_phone_shows(api, sandbox_session, linked):
    wa_id = ours(sandbox_session, linked)
    me = sandbox_device(session=sandbox_session).wid

    assert page_post(sandbox_session, linked, "react", {"msgId": wa_id, "emoji": "👍"}) == (
        200, {"sendMsgResult": "OK"}
    )  # fmt: skip
    status, edited = page_post(sandbox_session, linked, "edit", {"msgId": wa_id, "text": "See you at 10"})
    assert status == 200 and edited["msg"]["body"] == "See you at 10"
    status, deleted = page_post(sandbox_session, linked, "delete", {"msgId": wa_id, "revoke": True})
    assert status == 200 and (deleted["isRevoked"], deleted["sendMsgResult"]) == (True, "OK")

    shown = phone(api, sandbox_session, wa_id)
    assert shown["reactions"] == {me: "👍"} and shown["text"] == "See you at 10"
    assert shown["edits"] == ["See you at 9"] and shown["revokedAt"] and shown["fromMe"] is True


def test_removing_the_sessions_reaction(api, sandbox_session, linked):
    wa_id = theirs(api, sandbox_session)
    page_post(sandbox_session, linked, "react", {"msgId": wa_id, "emoji": "❤️"})
    page_post(sandbox_session, linked, "react", {"msgId": wa_id, "emoji": ""})

    assert phone(api, sandbox_session, wa_id)["reactions"] == {}


def test_revoking_a_contacts_message_deletes_it_on_the_device_only_as_wa_js_does(
    api, sandbox_session, linked
):
    wa_id = theirs(api, sandbox_session)

    status, answer = page_post(sandbox_session, linked, "delete", {"msgId": wa_id, "revoke": True})

    assert status == 200 and (answer["isRevoked"], answer["isDeleted"], answer["isSentByMe"]) == (
        False,
        True,
        False,
    )
    shown = phone(api, sandbox_session, wa_id)
    assert shown["revokedAt"] is None and shown["deletedOnDeviceAt"]


def test_editing_late_or_someone_elses_message_is_edit_message_error(api, sandbox_session, linked):
    late = ours(sandbox_session, linked)
    SandboxMessage.objects.filter(wa_id=late).update(created_at=timezone.now() - timedelta(minutes=16))
    for wa_id in (late, theirs(api, sandbox_session)):
        status, answer = page_post(sandbox_session, linked, "edit", {"msgId": wa_id, "text": "x"})
        assert status == 409 and answer["error"]["code"] == "edit_message_error"


def test_page_actions_need_the_logged_in_page_and_a_known_message(api, sandbox_session, linked):
    wa_id = ours(sandbox_session, linked)

    assert page_post(sandbox_session, "wrong", "react", {"msgId": wa_id, "emoji": "👍"})[0] == 409
    status, answer = page_post(sandbox_session, linked, "react", {"msgId": "true_x_1", "emoji": "👍"})
    assert status == 404 and answer["error"]["code"] == "msg_not_found"


# --- the phone: what a contact does --------------------------------------------------------------


def test_a_contact_reacts_and_the_page_fires_chat_new_reaction(api, sandbox_session, linked):
    wa_id = ours(sandbox_session, linked)

    response = api.post(
        api_url(sandbox_session.id, f"messages/{wa_id}/reaction"), {"emoji": "🎉"}, format="json"
    )

    assert response.status_code == 202
    event = last_page_event(sandbox_session)
    assert (event["name"], event["action"], event["cursor"]) == (
        "chat.new_reaction",
        True,
        response.json()["cursor"],
    )
    data = event["data"]
    assert data["msgId"]["_serialized"] == wa_id and data["msgId"]["fromMe"] is True
    assert (data["reactionText"], data["sender"]) == ("🎉", CHAT) and data["id"]["fromMe"] is False
    assert phone(api, sandbox_session, wa_id)["reactions"] == {CHAT: "🎉"}


def test_a_contact_revokes_their_message(api, sandbox_session, linked):
    wa_id = theirs(api, sandbox_session)

    assert api.post(api_url(sandbox_session.id, f"messages/{wa_id}/revoke")).status_code == 202

    event = last_page_event(sandbox_session)
    assert event["name"] == "chat.msg_revoke"
    assert (event["data"]["refId"]["_serialized"], event["data"]["type"]) == (wa_id, "revoke")
    again = api.post(api_url(sandbox_session.id, f"messages/{wa_id}/revoke"))
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_revoked"


def test_a_contact_edits_their_message(api, sandbox_session, linked):
    wa_id = theirs(api, sandbox_session, "Hello")

    response = api.post(
        api_url(sandbox_session.id, f"messages/{wa_id}/edit"), {"text": "Hello!!"}, format="json"
    )

    assert response.status_code == 202
    event = last_page_event(sandbox_session)
    assert event["name"] == "chat.msg_edited" and event["data"]["id"] == wa_id
    assert (
        event["data"]["msg"]["body"] == "Hello!!"
        and event["data"]["chat"] == sandbox_device(session=sandbox_session).wid
    )
    assert phone(api, sandbox_session, wa_id)["edits"] == ["Hello"]


def test_a_contact_cannot_revoke_or_edit_the_sessions_message(api, sandbox_session, linked):
    wa_id = ours(sandbox_session, linked)
    for action, body in (("revoke", None), ("edit", {"text": "x"})):
        response = api.post(api_url(sandbox_session.id, f"messages/{wa_id}/{action}"), body, format="json")
        assert response.status_code == 409 and response.json()["error"]["code"] == "not_own_message"


def test_phone_actions_on_an_unknown_message_are_404(api, sandbox_session, linked):
    for action in ("reaction", "revoke", "edit"):
        body = {"emoji": "👍", "text": "x"}
        response = api.post(api_url(sandbox_session.id, f"messages/false_x_1/{action}"), body, format="json")
        assert response.status_code == 404 and response.json()["error"]["code"] == "msg_not_found"
    assert api.get(api_url(sandbox_session.id, "messages/false_x_1")).status_code == 404


def test_phone_actions_before_linking_are_409(api, sandbox_session, linked):
    wa_id = theirs(api, sandbox_session)
    sandbox_disconnect(session=sandbox_session, mode="unlink")

    response = api.post(
        api_url(sandbox_session.id, f"messages/{wa_id}/reaction"), {"emoji": "👍"}, format="json"
    )

    assert response.status_code == 409 and response.json()["error"]["code"] == "not_linked"
    assert phone(api, sandbox_session, wa_id)["reactions"] == {}  # nothing half-done


def test_presence_and_read_are_what_the_contact_sees(api, sandbox_session, linked):
    theirs(api, sandbox_session)
    chat = api_url(sandbox_session.id, f"chats/{CHAT}")
    assert api.get(chat).json()["unreadBySession"] == 1

    assert page_post(sandbox_session, linked, "presence", {"chatId": CHAT, "state": "recording"})[0] == 200
    sandbox_page_mark_read(session=sandbox_session, device_token=linked, chat_id=CHAT, seen=10**6)

    seen = api.get(chat).json()
    assert (seen["presence"], seen["unreadBySession"]) == ("recording", 0) and seen["presenceAt"]
    assert api.get(api_url(sandbox_session.id, "chats/123@c.us")).status_code == 404


def test_find_opens_a_chat_with_a_new_number_so_typing_can_show_in_it(api, sandbox_session, linked):
    new = "33612345601@c.us"  # never wrote, never written to
    assert page_post(sandbox_session, linked, "presence", {"chatId": new, "state": "typing"})[0] == 404

    status, body = page_post(sandbox_session, linked, "find-chat", {"chatId": new})
    assert (status, body) == (200, {"id": new})
    assert page_post(sandbox_session, linked, "find-chat", {"chatId": new}) == (200, {"id": new})  # found
    assert page_post(sandbox_session, linked, "presence", {"chatId": new, "state": "typing"})[0] == 200
    assert api.get(api_url(sandbox_session.id, f"chats/{new}")).json()["presence"] == "typing"
    unknown_group = page_post(sandbox_session, linked, "find-chat", {"chatId": "123-456@g.us"})
    assert unknown_group[0] == 404 and unknown_group[1]["error"]["code"] == "chat_not_found"


@pytest.mark.parametrize(
    ("page_offset_s", "honoured"), [(-0.3, True), (4, True), (-60, False), (3600, False), (None, False)]
)
def test_presence_time_is_the_pages_clock_when_near_ours(
    api, sandbox_session, linked, page_offset_s, honoured
):
    theirs(api, sandbox_session)
    now = time.time()
    at = "soon" if page_offset_s is None else (now + page_offset_s) * 1000
    body = {"chatId": CHAT, "state": "typing", "at": at}
    assert page_post(sandbox_session, linked, "presence", body)[0] == 200

    shown = datetime.fromisoformat(api.get(api_url(sandbox_session.id, f"chats/{CHAT}")).json()["presenceAt"])
    expected = now + (page_offset_s if honoured else 0)
    assert abs(shown.timestamp() - expected) < 1.0, (shown, page_offset_s)
