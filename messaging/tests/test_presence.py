"""A contact's typing (wa-js `chat.presence_change` as the bridge hands it over) becomes the
opt-in `chat.presence` event."""

import pytest

from messaging.inbound import MalformedEvent
from messaging.models import LidMapping
from messaging.presence import handle_presence_change

GROUP = "120363012345678901@g.us"


def presences(emitted):
    return [payload for event, _, payload in emitted if event == "chat.presence"]


@pytest.mark.parametrize(
    ("wa_state", "state"),
    [("composing", "typing"), ("recording", "recording"), ("available", "paused"), ("unavailable", "paused")],
)
def test_a_contacts_state_is_named_in_the_apis_words(session, emitted, wa_state, state):
    data = {"id": "33612345678@c.us", "isOnline": True, "isGroup": False, "state": wa_state, "t": 1764230400}
    handle_presence_change(session_id=session.pk, data=data)

    (payload,) = presences(emitted)
    assert payload == {
        "sessionId": str(session.pk),
        "chatId": "33612345678@c.us",
        "from": "33612345678@c.us",
        "phone": "+33612345678",
        "contact": {"phone": "+33612345678", "lid": None},
        "state": state,
        "isOnline": True,
        "timestamp": "2025-11-27T08:00:00Z",
    }


def test_in_a_group_the_member_typing_is_named(session, emitted):
    LidMapping.objects.create(session=session, lid="55443322@lid", phone="+33622222222")
    members = [
        {"id": "11111111@lid", "state": "available"},
        {"id": "55443322@lid", "state": "composing"},
        "x",
    ]
    data = {"id": GROUP, "isGroup": True, "state": "", "participants": members}
    handle_presence_change(session_id=session.pk, data=data)

    (payload,) = presences(emitted)
    assert (payload["chatId"], payload["from"], payload["state"]) == (GROUP, "55443322@lid", "typing")
    assert payload["contact"] == {"phone": "+33622222222", "lid": "55443322@lid"} and payload["phone"] == ""


@pytest.mark.parametrize("data", [None, [], {"state": "composing"}, {"id": 42, "state": "composing"}])
def test_a_presence_without_a_chat_is_quarantined(session, emitted, data):
    with pytest.raises(MalformedEvent):
        handle_presence_change(session_id=session.pk, data=data)
    assert not presences(emitted)


def test_status_broadcast_presence_is_ignored(session, emitted):
    handle_presence_change(session_id=session.pk, data={"id": "status@broadcast", "state": "composing"})
    assert not presences(emitted)
