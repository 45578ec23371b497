"""Mentions, link previews, forwards and poll votes through the real path: API → queue → engine
worker → Chromium → the sandbox's WPP, and a sandbox contact's messages back."""

import base64
import hashlib
import json

import pytest

from events.interest import interest_mark
from events.models import Event
from messaging.tests.test_engine_flow import CONTACT, _inbound, message, outbox, png_bytes
from sessions_app.tests.helpers import create_and_link, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.slow]
FRIEND = "+33611111111"


@pytest.fixture
def linked(api, engine_worker):
    engine_worker("engine-a")
    return create_and_link(api, name="mentions")


def test_mentions_and_link_previews_reach_the_contact_and_theirs_come_back(api, linked):
    send = f"/api/v1/sessions/{linked.id}/messages"
    bodies = [
        {"text": "Hi @33611111111", "mentions": [FRIEND, "33622222222@c.us"]},
        {"text": "Agenda: https://example.com/agenda", "linkPreview": False},
        {"text": "Slides: https://example.com/slides"},
    ]
    for body in bodies:
        response = api.post(send, {"to": CONTACT, **body}, format="json")
        assert response.status_code == 202, response.content
    got = wait_for(lambda: len(o := outbox(api, linked.id)) == 3 and o[::-1], 60, what="three sent")

    # What the contact's phone got, as the sandbox's WPP recorded the wa-js options.
    assert got[0]["mentions"] == ["33611111111@c.us", "33622222222@c.us"]
    assert [m["linkPreview"] for m in got] == [None, None, "https://example.com/slides"]
    assert not any(m["isForwarded"] for m in got)

    inbound = f"/api/v1/sandbox/sessions/{linked.id}/inbound"
    reply = {"from": CONTACT, "text": "@33611111111 look", "mentions": [FRIEND], "forwarded": True}
    assert api.post(inbound, reply, format="json").status_code == 202
    (received,) = _inbound(api, linked.id, 1)
    assert received["mentions"] == [{"phone": FRIEND, "lid": None}]
    assert received["forwarded"] is True and received["mentionsAll"] is False


def test_a_mention_wa_js_refuses_fails_the_message_with_its_reason(api, linked):
    # A lid the sandbox's WhatsApp does not know is still a user id: wa-js sends it. A group
    # id is refused by the API before it reaches wa-js; the sandbox refuses the rest like wa-js.
    response = api.post(
        f"/api/v1/sessions/{linked.id}/messages",
        {"to": CONTACT, "text": "hi", "mentions": ["120363012345678901@g.us"]},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["details"]["field"] == "mentions"


def test_a_forward_reaches_the_other_contact_marked_forwarded_with_its_file(api, linked):
    inbound = f"/api/v1/sandbox/sessions/{linked.id}/inbound"
    png = {"data": base64.b64encode(png_bytes()).decode(), "filename": "dot.png"}
    assert (
        api.post(inbound, {"from": CONTACT, "text": "look", "media": png}, format="json").status_code == 202
    )
    (photo,) = _inbound(api, linked.id, 1)

    url = f"/api/v1/sessions/{linked.id}/messages/{photo['messageId']}/forward"
    response = api.post(url, {"to": FRIEND}, format="json")
    assert response.status_code == 202, response.content
    (got,) = wait_for(lambda: outbox(api, linked.id), 60, what="the forward")

    assert (got["to"], got["type"], got["text"], got["isForwarded"]) == (FRIEND, "image", "look", True)
    assert got["media"]["sha256"] == hashlib.sha256(png_bytes()).hexdigest()
    # The copy's id comes with WhatsApp's echo; its receipts follow like any send's.
    copy = wait_for(
        lambda: (m := message(api, linked.id, response.json()["messageId"]))["status"] == "read" and m,
        30,
        what="the forward read",
    )
    assert copy["waMessageId"] == got["id"] and copy["forwarded"] is True


def test_a_contacts_votes_in_our_poll_come_back_with_the_tally(api, linked):
    body = {
        "to": CONTACT,
        "poll": {"question": "Lunch?", "options": ["Pizza", "Sushi"], "multipleAnswers": True},
    }
    response = api.post(f"/api/v1/sessions/{linked.id}/messages", body, format="json")
    assert response.status_code == 202, response.content
    (sent,) = wait_for(lambda: outbox(api, linked.id), 60, what="the poll")
    poll_id = response.json()["messageId"]
    wait_for(lambda: message(api, linked.id, poll_id)["waMessageId"], 30, what="the poll's id")

    vote = f"/api/v1/sandbox/sessions/{linked.id}/messages/{sent['id']}/vote"
    assert api.post(vote, {"options": ["Pizza", "Sushi"]}, format="json").status_code == 202
    assert api.post(vote, {"options": ["Kebab"]}, format="json").json()["error"]["code"] == "unknown_option"
    assert api.post(vote, {"options": ["Sushi"]}, format="json").status_code == 202

    def tally():
        counts = {t["option"]: t["votes"] for t in message(api, linked.id, poll_id)["poll"]["tally"]}
        return counts == {"Pizza": 0, "Sushi": 1} and counts

    wait_for(tally, 30, what="the tally after two votes")
    votes = [
        json.loads(e.body)
        for e in Event.objects.filter(session_id=linked.id, name="poll.vote").order_by("id")
    ]
    assert [v["vote"]["selectedOptions"] for v in votes] == [["Pizza", "Sushi"], ["Sushi"]]
    assert votes[0]["vote"]["voter"]["phone"] == CONTACT and votes[0]["messageId"] == poll_id


def test_a_contact_typing_reaches_the_event_log_as_chat_presence(api, linked):
    # chat.presence is opt-in: logged only while a reader asks for it (events/interest.py), as
    # an open stream naming it in `types` does.
    interest_mark([("chat.presence", str(linked.id))])
    inbound = f"/api/v1/sandbox/sessions/{linked.id}/inbound"
    assert api.post(inbound, {"from": CONTACT, "text": "hi"}, format="json").status_code == 202
    _inbound(api, linked.id, 1)
    chat = CONTACT.lstrip("+") + "@c.us"
    presence = f"/api/v1/sandbox/sessions/{linked.id}/chats/{chat}/presence"

    assert api.post(presence, {"state": "typing"}, format="json").status_code == 202
    assert api.post(presence, {"state": "paused"}, format="json").status_code == 202
    assert api.post(presence, {"state": "dancing"}, format="json").status_code == 400
    unknown = f"/api/v1/sandbox/sessions/{linked.id}/chats/33600000001@c.us/presence"
    assert api.post(unknown, {"state": "typing"}, format="json").status_code == 404

    def states():
        found = Event.objects.filter(session_id=linked.id, name="chat.presence").order_by("id")
        return len(found) == 2 and [json.loads(e.body) for e in found]

    typing, paused = wait_for(states, 30, what="two presence events")
    assert (typing["state"], paused["state"]) == ("typing", "paused")
    assert typing["chatId"] == chat and typing["contact"]["phone"] == CONTACT and typing["isOnline"]


def test_mentioning_all_in_a_group_reaches_wa_js_as_everyone(api, linked):
    sandbox = f"/api/v1/sandbox/sessions/{linked.id}"
    created = api.post(
        f"{sandbox}/groups", {"owner": CONTACT, "subject": "Team", "participants": [FRIEND]}, format="json"
    )
    assert created.status_code in (200, 201), created.content
    gid = created.json()["id"]
    wait_for(
        lambda: api.get(f"/api/v1/sessions/{linked.id}/groups/{gid}").status_code == 200, 30, what="the group"
    )

    body = {"to": gid, "text": "Meeting now", "mentions": ["all", FRIEND]}
    response = api.post(f"/api/v1/sessions/{linked.id}/messages", body, format="json")
    assert response.status_code == 202, response.content
    assert response.json()["text"] == "Meeting now @all"
    (got,) = wait_for(lambda: outbox(api, linked.id), 60, what="the group message")

    # What WAHA users miss (#2230 there): wa-js marks the message as mentioning everyone.
    assert (got["chatId"], got["text"], got["mentionsAll"]) == (gid, "Meeting now @all", True)
    assert len(got["mentions"]) == 1 and got["mentions"][0].endswith(("@c.us", "@lid"))
