"""What is done to a stored message, by the session or by the contact: reactions, edits and
deletes. Each is recorded once on the message (a replayed page event, or WhatsApp's echo of
our own action, changes nothing) and emits its event in the same transaction:
`message.reaction`, `message.edited`, `message.revoked`.

Called by messaging.outbound_actions (our actions, once WhatsApp took them) and
messaging.inbound_actions (wa-js `chat.new_reaction`, `chat.msg_edited`, `chat.msg_revoke`).
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.db import transaction

from messaging.models import Message
from messaging.payloads import message_event_payload
from yesapp import events
from yesapp.validators import phone_from_chat_id

# The key of our own reaction when the session's WhatsApp id is not known yet.
ME = "me"


def my_id(message: Message) -> str:
    """Who "we" are in a message's reactions: the linked account's WhatsApp id."""
    return message.session.wid or ME


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _locked(message: Message) -> Message:
    return Message.objects.select_for_update(of=("self",)).select_related("session").get(pk=message.pk)


def message_record_reaction(*, message: Message, sender: str, emoji: str, at: datetime) -> bool:
    """Sets (or, with an empty emoji, removes) `sender`'s reaction on `message` and emits
    `message.reaction` with what changed: added, changed or removed. False when nothing did."""
    with transaction.atomic():
        message = _locked(message)
        reactions = dict(message.reactions or {})
        previous = (reactions.get(sender) or {}).get("emoji", "")
        if previous == emoji:
            return False
        if emoji:
            reactions[sender] = {"emoji": emoji, "at": _iso(at)}
        else:
            reactions.pop(sender, None)
        message.reactions = reactions
        message.save(update_fields=["reactions", "updated_at"])
        payload = message_event_payload(message)
        payload["reaction"] = {
            "emoji": emoji,
            "previousEmoji": previous,
            "change": "removed" if not emoji else ("changed" if previous else "added"),
            "from": sender,
            "fromMe": sender == my_id(message),
            "phone": phone_from_chat_id(sender),
            "timestamp": _iso(at),
        }
        events.emit(events.MESSAGE_REACTION, session_id=message.session_id, payload=payload)
    return True


def message_record_edit(*, message: Message, text: str, at: datetime, by_me: bool) -> bool:
    """Replaces `message`'s text, keeping the earlier one in `edits`, and emits
    `message.edited` (with `previousText`). False when the text is already this one."""
    with transaction.atomic():
        message = _locked(message)
        if message.text == text:
            return False
        previous = message.text
        message.edits = [*(message.edits or []), {"text": previous, "editedAt": _iso(at)}]
        message.text, message.edited_at = text, at
        message.save(update_fields=["edits", "text", "edited_at", "updated_at"])
        payload = message_event_payload(message)
        payload["previousText"] = previous
        payload["editedBy"] = "me" if by_me else "contact"
        events.emit(events.MESSAGE_EDITED, session_id=message.session_id, payload=payload)
    return True


def message_record_revoke(*, message: Message, at: datetime, revoked_by: str) -> bool:
    """Marks `message` deleted for everyone and emits `message.revoked`; `revoked_by` is `me`,
    `contact` or `admin` (a group admin). Its text stays stored: the client decides what to
    show. False when it was already."""
    with transaction.atomic():
        message = _locked(message)
        if message.revoked_at is not None:
            return False
        message.revoked_at = at
        message.save(update_fields=["revoked_at", "updated_at"])
        payload = message_event_payload(message)
        payload["revokedBy"] = revoked_by
        events.emit(events.MESSAGE_REVOKED, session_id=message.session_id, payload=payload)
    return True


def message_record_local_delete(*, message: Message, at: datetime) -> None:
    """Deleted on the linked device only: the contact still has it, so no event."""
    Message.objects.filter(pk=message.pk, deleted_at__isnull=True).update(deleted_at=at, updated_at=at)
