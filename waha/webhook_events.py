"""YesApp's logged events in WAHA's webhook shape: WAHA's envelope (`id`, `timestamp` in ms,
`event`, `session`, `me`, `payload`, `engine`), its event names and payloads. Pure functions of
an event's JSON body, so what is sent is decided once, when the event is logged."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sessions_app.models import Session
from waha.shapes import ENGINE, SESSION_STATUS, me_info, wa_message

# WAHA's event names this format sends, in WAHA's own order (what a webhook may subscribe to).
WAHA_EVENTS = (
    "session.status",
    "message",
    "message.any",
    "message.ack",
    "message.reaction",
    "message.edited",
    "message.revoked",
    "group.v2.join",
    "group.v2.leave",
    "group.v2.participants",
    "group.v2.update",
    "call.received",
    "poll.vote",
    "presence.update",
)
_CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"


def _ms(iso: str | None) -> int:
    return int(datetime.fromisoformat(str(iso).replace("Z", "+00:00")).timestamp() * 1000) if iso else 0


def event_id(*, at_ms: int, seed: str) -> str:
    """`evt_` and a lower-case ULID (WAHA's event ids): 48 bits of time, 80 bits from `seed`
    (the log entry and the event name), so the same event always gets the same id."""
    value = (at_ms << 80) | int.from_bytes(hashlib.sha256(seed.encode()).digest()[:10], "big")
    return "evt_" + "".join(_CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))


def _reaction(body: dict) -> dict[str, Any]:
    reaction = body.get("reaction") or {}
    return {
        "id": body.get("waMessageId"),
        "from": reaction.get("from"),
        "fromMe": bool(reaction.get("fromMe")),
        "participant": reaction.get("from"),
        "to": body.get("chatId"),
        "timestamp": _ms(reaction.get("timestamp")) // 1000,
        "reaction": {"text": reaction.get("emoji", ""), "messageId": body.get("waMessageId")},
    }


def _group(body: dict, **extra) -> dict[str, Any]:
    return {"group": {"id": body.get("groupId"), **extra}, "timestamp": _ms(body.get("timestamp")) // 1000}


def _person(person: dict | None) -> str | None:
    if not person:
        return None
    return f"{person['phone'].lstrip('+')}@c.us" if person.get("phone") else person.get("lid")


def _poll_vote(body: dict) -> dict[str, Any]:
    """WAHA's poll.vote: the vote and the poll it is on, each as {id, from, fromMe, to}."""
    vote = body.get("vote") or {}
    poll_id = body.get("waMessageId")
    return {
        "vote": {
            "id": poll_id,
            "from": vote.get("from"),
            "fromMe": bool(vote.get("fromMe")),
            "to": body.get("chatId"),
            "selectedOptions": list(vote.get("selectedOptions") or []),
            "timestamp": _ms(vote.get("timestamp")) // 1000,
        },
        "poll": {
            "id": poll_id,
            "from": body.get("from"),
            "fromMe": body.get("direction") == "outbound",
            "to": body.get("to"),
        },
    }


def _presence(body: dict) -> dict[str, Any]:
    """WAHA's presence.update from YesApp's chat.presence (a contact typing, recording, pausing)."""
    return {
        "id": body.get("chatId"),
        "presences": [
            {"participant": body.get("from"), "lastKnownPresence": body.get("state"), "lastSeen": None}
        ],
    }


def _message_events(body: dict) -> list[tuple[str, dict]]:
    return [("message", wa_message(body)), ("message.any", wa_message(body))]


def _status_events(body: dict) -> list[tuple[str, dict]]:
    if body.get("waitingFor"):  # a queued message's wait (docs/WEBHOOKS.md): WAHA has no such event
        return []
    # WAHA's message.any also fires for our own messages, once WhatsApp has them.
    rendered = [("message.ack", wa_message(body))]
    if body.get("status") == "sent":
        rendered.append(("message.any", wa_message(body)))
    return rendered


# YesApp's event name -> the WAHA events (name, payload) it becomes.
_RENDERERS: dict[str, Callable[[dict], list[tuple[str, dict]]]] = {
    "message.received": _message_events,
    "message.status": _status_events,
    "message.reaction": lambda body: [("message.reaction", _reaction(body))],
    "message.edited": lambda body: [
        ("message.edited", {**wa_message(body), "editedMessageId": body.get("waMessageId")})
    ],
    "message.revoked": lambda body: [
        (
            "message.revoked",
            {"before": wa_message(body), "after": None, "revokedMessageId": body.get("waMessageId")},
        )
    ],
    "group.joined": lambda body: [("group.v2.join", _group(body, subject=body.get("subject")))],
    "group.left": lambda body: [("group.v2.leave", _group(body))],
    "group.participants": lambda body: [
        (
            "group.v2.participants",
            {
                **_group(body),
                "type": body.get("action"),
                "participants": [{"id": _person(p)} for p in body.get("participants") or []],
            },
        )
    ],
    "group.updated": lambda body: [("group.v2.update", _group(body, **(body.get("changes") or {})))],
    # Poll votes and typing come with the i16-more branch's events (poll.vote, chat.presence).
    "poll.vote": lambda body: [("poll.vote", _poll_vote(body))],
    "chat.presence": lambda body: [("presence.update", _presence(body))],
    "call.received": lambda body: [
        (
            "call.received",
            {
                "id": body.get("id"),
                "from": body.get("from"),
                "timestamp": (body.get("offerTime") or _ms(body.get("timestamp")) // 1000),
                "isVideo": bool(body.get("video")),
                "isGroup": bool(body.get("group")),
            },
        )
    ],
}


def waha_events(*, name: str, body_text: str, session: Session, entry_id: Any) -> list[tuple[str, str]]:
    """(WAHA event name, exact JSON body) for each WAHA event a YesApp event becomes; [] for
    one WAHA has no counterpart for."""
    body = json.loads(body_text)
    if name == "session.status":
        rendered = [
            ("session.status", {"name": session.name, "status": SESSION_STATUS.get(body.get("status"))})
        ]
    elif name in _RENDERERS:
        rendered = _RENDERERS[name](body)
    else:
        return []
    at_ms = _ms(body.get("timestamp"))
    return [
        (
            event,
            _envelope(event=event, payload=payload, session=session, at_ms=at_ms, seed=f"{entry_id}:{event}"),
        )
        for event, payload in rendered
    ]


def _envelope(*, event: str, payload: dict, session: Session, at_ms: int, seed: str) -> str:
    envelope = {
        "id": event_id(at_ms=at_ms, seed=seed),
        "timestamp": at_ms,
        "event": event,
        "session": session.name,
        "metadata": {},
        "me": me_info(session),
        "payload": payload,
        "engine": ENGINE,
        "environment": {"version": "yesapp", "engine": ENGINE, "tier": "CORE", "browser": None},
    }
    return json.dumps(envelope, ensure_ascii=False, separators=(",", ":"))
