"""A contact typing or recording in a chat (wa-js `chat.presence_change`), sent as the
`chat.presence` event, which webhooks get only when they name it (yesapp.events.OPT_IN_EVENTS).

Nothing is stored on a message: presence is a passing state. WhatsApp Web's states are mapped
to the API's: `composing` is `typing`, `recording` is `recording`, any other (available,
unavailable, paused) is `paused`; `isOnline` says whether the contact is online at all.
"""

from __future__ import annotations

from uuid import UUID

from django.utils import timezone

from messaging.inbound import MalformedEvent
from messaging.people import lid_pairs_for, person_json
from messaging.wa_values import serialized_id, str_or_empty, wa_time
from yesapp import events
from yesapp.validators import phone_from_chat_id

STATES = {"composing": "typing", "recording": "recording"}


def _who(data: dict, chat_id: str) -> tuple[str, str]:
    """(person id, wa-js state): in a group, the member typing or recording, else the first."""
    if not data.get("isGroup"):
        return chat_id, str_or_empty(data.get("state"))
    listed = data.get("participants") if isinstance(data.get("participants"), list) else []
    members = [m for m in listed if isinstance(m, dict) and serialized_id(m.get("id"))]
    active = [m for m in members if m.get("state") in STATES] or members
    if not active:
        return "", str_or_empty(data.get("state"))
    return serialized_id(active[0].get("id")), str_or_empty(active[0].get("state"))


def handle_presence_change(*, session_id: UUID, data) -> None:
    """`chat.presence_change` ({id, isOnline, isGroup, state, t, participants}) → `chat.presence`."""
    if not isinstance(data, dict):
        raise MalformedEvent("chat.presence_change without an object payload")
    chat_id = serialized_id(data.get("id"))
    if not chat_id:
        raise MalformedEvent("chat.presence_change without a chat id")
    if chat_id == "status@broadcast":
        return
    person, state = _who(data, chat_id)
    pairs = lid_pairs_for(session_id=session_id, ids=[person]) if person else {}
    at = wa_time(data.get("t")) or timezone.now()
    payload = {
        "sessionId": str(session_id),
        "chatId": chat_id[:100],
        "from": person[:100],
        "phone": phone_from_chat_id(person),
        "contact": person_json(person, pairs),
        "state": STATES.get(state, "paused"),
        "isOnline": data.get("isOnline") is True,
        "timestamp": at.isoformat().replace("+00:00", "Z"),
    }
    events.emit(events.CHAT_PRESENCE, session_id=session_id, payload=payload)
