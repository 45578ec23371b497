"""The one JSON-ready picture of a message, shared by API responses and `message.*` events."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.conf import settings

from messaging.models import Direction, Message, MessageStatus
from messaging.people import lid_pairs_for, message_person, person_json


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def media_url(message: Message) -> str:
    return f"{settings.PUBLIC_URL}/api/v1/media/{message.id}"


def message_event_payload(message: Message, *, lid_pairs: dict[str, str] | None = None) -> dict[str, Any]:
    """The one JSON-ready picture of a message: API responses and `message.*` events use it.

    `from`/`to` are WhatsApp ids: for an inbound message `from` is the sender (the group
    member in a group) and `to` is the linked account; for an outbound one the reverse.
    `contact` is that person (the sender, or the recipient) as `{phone, lid}` (messaging.people);
    `lid_pairs` saves a query per message when a list is shown.
    """
    me = message.session.wid if message.session_id else ""
    if message.direction == Direction.INBOUND:
        sender, recipient = message.author or message.chat_id, me
    else:
        sender, recipient = me, message.chat_id
    has_media = message.has_media
    return {
        "messageId": str(message.id),
        "sessionId": str(message.session_id),
        "direction": message.direction,
        "status": message.status,
        "type": message.type,
        "chatId": message.chat_id,
        "from": sender,
        "to": recipient,
        "phone": message.phone,
        "author": message.author,
        "contactName": message.contact_name,
        "fromPhone": message.from_phone,
        "contact": message_person(message, lid_pairs),
        "text": message.text,
        "replyTo": _reply_to(message),
        # A location, contact card or poll: what it holds (messaging.content), else null.
        "location": message.content.get("location"),
        "contacts": message.content.get("contacts"),
        "poll": _poll(message),
        **_mentions(message, lid_pairs),
        "forwarded": bool(message.content.get("forwarded")),
        "waMessageId": message.wa_id,
        "timestamp": _iso(message.wa_timestamp or message.created_at),
        "mediaUrl": media_url(message) if has_media else None,
        "media": _media(message) if has_media else None,
        "error": {"code": message.error_code, "message": message.error} if message.error_code else None,
        "idempotencyKey": message.idempotency_key or None,
        "createdAt": _iso(message.created_at),
        "sentAt": _iso(message.sent_at),
        "deliveredAt": _iso(message.delivered_at),
        "readAt": _iso(message.read_at),
        "failedAt": _iso(message.failed_at),
        **wait_fields(message),
        **action_fields(message),
    }


def wait_fields(message: Message) -> dict[str, Any]:
    """A queued message's wait under its sending policy (messaging.pacing); null otherwise."""
    waiting = message.status == MessageStatus.QUEUED and bool(message.waiting_for)
    return {
        "notBefore": _iso(message.not_before) if waiting else None,
        "waitingFor": message.waiting_for if waiting else None,
    }


def _mentions(message: Message, lid_pairs: dict[str, str] | None) -> dict[str, Any]:
    """Who the message mentions, as people ({phone, lid}), and whether it mentions everyone."""
    ids = [value for value in message.content.get("mentions") or [] if value.endswith(("@c.us", "@lid"))]
    if ids and lid_pairs is None:
        lid_pairs = lid_pairs_for(session_id=message.session_id, ids=ids)
    return {
        "mentions": [person_json(value, lid_pairs or {}) for value in ids],
        "mentionsAll": bool(message.content.get("mentionsAll")),
    }


def _poll(message: Message) -> dict[str, Any] | None:
    """The poll's question and options, and how many voters chose each now (messaging.polls)."""
    poll = message.content.get("poll")
    if poll is None:
        return None
    counts: dict[str, int] = dict.fromkeys(poll.get("options") or [], 0)
    for vote in (message.content.get("pollVotes") or {}).values():
        for name in vote.get("options", []):
            if name in counts:
                counts[name] += 1
    return {**poll, "tally": [{"option": name, "votes": count} for name, count in counts.items()]}


def _reply_to(message: Message) -> dict[str, Any] | None:
    """The quoted message: both ids, ours null when it is not stored here."""
    if not message.reply_to_wa_id:
        return None
    return {
        "messageId": str(message.reply_to_id) if message.reply_to_id else None,
        "waMessageId": message.reply_to_wa_id,
    }


def _media(message: Message) -> dict[str, Any]:
    return {
        "status": message.media_status,
        "mimetype": message.media_mimetype,
        "size": message.media_size,
        "filename": message.media_filename,
        "error": message.media_error,
    }


def action_fields(message: Message) -> dict[str, Any]:
    """What was done to a message (reactions, edits, deletes), and, for an action row, what it
    acts on (`action`, `targetMessageId`)."""
    me = message.session.wid if message.session_id else ""
    return {
        "action": message.action or None,
        "targetMessageId": str(message.target_id) if message.target_id else None,
        "reactions": [
            {
                "emoji": reaction["emoji"],
                "from": sender,
                "fromMe": sender in (me, "me"),
                "timestamp": reaction.get("at"),
            }
            for sender, reaction in (message.reactions or {}).items()
        ],
        "editedAt": _iso(message.edited_at),
        "edits": list(message.edits or []),
        "revokedAt": _iso(message.revoked_at),
        "deletedAt": _iso(message.deleted_at),
    }
