"""Contacts, chats, history and @lid through every real part: API → Celery → engine worker →
Chromium on the sandbox page (its WPP.contact.list / get / getStatus / getProfilePictureUrl,
WPP.blocklist, WPP.chat.list / getMessages) → the sandbox's directory."""

import pytest

from messaging.models import Message
from sandbox.contacts import sandbox_lid_of
from sessions_app.tests.helpers import create_and_link, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ALICE = "+33698765401"
BOB = "+33698765402"
STRANGER = "+33698765403"  # messages first, so the sandbox knows the number behind the lid


def _sandbox(session):
    return f"/api/v1/sandbox/sessions/{session.id}"


def test_contacts_profile_picture_and_blocking_in_the_browser(api, engine_worker):
    engine_worker("engine-a")
    session = create_and_link(api, name="directory")
    base = f"/api/v1/sessions/{session.id}/contacts"
    alice = {"savedName": "Alice Martin", "pushName": "Ally", "about": "Busy", "picture": True}
    assert api.put(f"{_sandbox(session)}/contacts/{ALICE}", alice, format="json").status_code == 200
    bob = {"pushName": "Bob", "business": True}
    assert api.put(f"{_sandbox(session)}/contacts/{BOB}", bob, format="json").status_code == 200

    listed = api.get(base)
    assert listed.status_code == 200, listed.content
    body = listed.json()
    assert body["total"] == 2
    first, second = body["items"]
    assert first == {
        "id": "33698765401@c.us",
        "phone": ALICE,
        "lid": sandbox_lid_of(ALICE),
        "name": "Alice Martin",
        "pushName": "Ally",
        "business": False,
        "myContact": True,
        "blocked": False,
    }
    assert (second["phone"], second["name"], second["pushName"], second["business"]) == (
        BOB,
        None,
        "Bob",
        True,
    )
    assert [c["phone"] for c in api.get(base, {"search": "ally"}).json()["items"]] == [ALICE]

    detail = api.get(f"{base}/{ALICE}")
    assert detail.status_code == 200, detail.content
    profile = detail.json()
    assert profile["about"] == "Busy"
    assert profile["picture"]["mimetype"] == "image/png"
    picture = api.get(profile["picture"]["url"])
    assert picture.status_code == 200
    assert picture["Content-Type"] == "image/png"
    assert b"".join(picture.streaming_content).startswith(b"\x89PNG")
    assert api.get(f"{base}/{BOB}").json()["picture"] is None

    unknown = api.get(f"{base}/+33698765499")
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "contact_not_found"

    blocked = api.post(f"{base}/{BOB}/block")
    assert blocked.status_code == 200, blocked.content
    assert blocked.json() == {"contactId": "33698765402@c.us", "blocked": True}
    assert api.get(f"{_sandbox(session)}/contacts/{BOB}").json()["blocked"] is True
    silenced = api.post(f"{_sandbox(session)}/inbound", {"from": BOB, "text": "hello?"}, format="json")
    assert silenced.status_code == 409
    assert silenced.json()["error"]["code"] == "blocked_by_session"
    assert api.get(f"{base}/{BOB}", {"refresh": "true"}).json()["blocked"] is True
    refused = api.post(f"/api/v1/sessions/{session.id}/messages", {"to": BOB, "text": "hi"}, format="json")
    assert refused.status_code == 202
    wait_for(
        lambda: Message.objects.get(pk=refused.json()["messageId"]).status == "failed",
        30,
        what="the send to a blocked contact to fail",
    )
    assert api.post(f"{base}/{BOB}/unblock").json() == {"contactId": "33698765402@c.us", "blocked": False}
    assert api.get(f"{_sandbox(session)}/contacts/{BOB}").json()["blocked"] is False


def test_chats_history_and_sending_to_a_lid_in_the_browser(api, engine_worker):
    engine_worker("engine-a")
    session = create_and_link(api, name="chats")
    state = {"savedName": "Alice Martin", "pinned": True, "mutedUntil": "2099-01-01T00:00:00Z"}
    assert api.put(f"{_sandbox(session)}/contacts/{ALICE}", state, format="json").status_code == 200
    history = {
        "messages": [
            {"text": "From last week", "minutesAgo": 7 * 24 * 60},
            {"text": "My answer", "fromMe": True, "minutesAgo": 7 * 24 * 60 - 5},
            {"text": "A photo", "type": "image", "minutesAgo": 60},
        ]
    }
    made = api.post(f"{_sandbox(session)}/contacts/{ALICE}/history", history, format="json")
    assert made.status_code == 201, made.content

    chats = api.get(f"/api/v1/sessions/{session.id}/chats")
    assert chats.status_code == 200, chats.content
    (chat,) = chats.json()["items"]
    assert (chat["id"], chat["name"], chat["kind"], chat["pinned"], chat["muted"], chat["archived"]) == (
        "33698765401@c.us",
        "Alice Martin",
        "user",
        True,
        True,
        False,
    )
    assert chat["contact"] == {"phone": ALICE, "lid": sandbox_lid_of(ALICE)}
    assert chat["lastMessage"]["type"] == "image" and chat["lastMessage"]["messageId"] is None

    sync = api.post(f"/api/v1/sessions/{session.id}/chats/{ALICE}/sync", {"limit": 500}, format="json")
    assert sync.status_code == 200, sync.content
    assert (sync.json()["found"], sync.json()["imported"], sync.json()["alreadyStored"]) == (3, 3, 0)
    again = api.post(
        f"/api/v1/sessions/{session.id}/chats/{ALICE}/sync", {"limit": 500}, format="json"
    ).json()
    assert (again["imported"], again["alreadyStored"]) == (0, 3)
    unknown = api.post(f"/api/v1/sessions/{session.id}/chats/+33698765499/sync", {}, format="json")
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "chat_not_found"
    listed = api.get(f"/api/v1/sessions/{session.id}/messages", {"chat": ALICE}).json()["items"]
    assert [m["text"] for m in listed] == ["A photo", "My answer", "From last week"]
    assert [m["direction"] for m in listed] == ["inbound", "outbound", "inbound"]
    photo = listed[0]
    wait_for(
        lambda: (
            api.get(f"/api/v1/sessions/{session.id}/messages/{photo['messageId']}").json()["media"]["status"]
            == "stored"
        ),
        30,
        what="the imported photo to download in the background",
    )

    # @lid: a stranger messages, the session answers to their lid, the stranger's phone gets it.
    inbound = api.post(f"{_sandbox(session)}/inbound", {"from": STRANGER, "text": "hello"}, format="json")
    assert inbound.status_code in (200, 201, 202), inbound.content
    lid = sandbox_lid_of(STRANGER)
    # Answered as an integrator would, once the message is stored (its webhook sent): sent at
    # once, the answer could go out before the page has even seen the stranger's message.
    received = wait_for(
        lambda: Message.objects.filter(session=session, direction="inbound", text="hello").first(),
        30,
        what="the stranger's message to be stored",
    )
    received_detail = api.get(f"/api/v1/sessions/{session.id}/messages/{received.pk}").json()
    assert received_detail["contact"] == {"phone": STRANGER, "lid": lid}
    sent = api.post(f"/api/v1/sessions/{session.id}/messages", {"to": lid, "text": "hi lid"}, format="json")
    assert sent.status_code == 202, sent.content
    message = wait_for(
        lambda: (
            (m := Message.objects.get(pk=sent.json()["messageId"])).status in ("sent", "delivered", "read")
            and m
        ),
        30,
        what="the send to a lid",
    )
    assert message.chat_id == lid
    detail = api.get(f"/api/v1/sessions/{session.id}/messages/{message.pk}").json()
    assert detail["contact"] == {"phone": STRANGER, "lid": lid}
    outbox = api.get(f"{_sandbox(session)}/outbox").json()
    assert any(item.get("text") == "hi lid" and item.get("to") == STRANGER for item in outbox["items"])
