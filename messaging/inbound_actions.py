"""What the page tells us was done to a message: wa-js `chat.new_reaction`,
`chat.msg_revoke` and `chat.msg_edited`, by a contact or from the linked phone (and WhatsApp
Web's echo of our own actions, which changes nothing the second time: messaging.changes).

A change to a message we never stored (older than the session, say) is skipped; an event
without the ids it needs raises MalformedEvent, and the actor quarantines it.
"""

from __future__ import annotations

import logging
from uuid import UUID

from django.utils import timezone

from messaging.changes import ME, message_record_edit, message_record_reaction, message_record_revoke
from messaging.inbound import MalformedEvent
from messaging.models import Message
from messaging.wa_values import serialized_id, str_or_empty, wa_time

logger = logging.getLogger(__name__)


def _stored(session_id: UUID, wa_id: str, event: str) -> Message | None:
    stored = Message.objects.select_related("session").filter(session_id=session_id, action="")
    message = stored.filter(wa_id=wa_id).first()
    if message is None:
        logger.info("%s for a message not stored here; skipped", event, extra={"session_id": str(session_id)})
    return message


def _object(data, event: str) -> dict:
    if not isinstance(data, dict):
        raise MalformedEvent(f"{event} without an object payload")
    return data


def _from_me(key) -> bool:
    return isinstance(key, dict) and key.get("fromMe") is True


def handle_reaction(*, session_id: UUID, data) -> None:
    """`chat.new_reaction` ({id, msgId, reactionText, sender, timestamp}): a reaction set,
    changed or (empty `reactionText`) taken back, on our message or theirs."""
    data = _object(data, "chat.new_reaction")
    target, sender = serialized_id(data.get("msgId")), serialized_id(data.get("sender"))
    if not target or not sender:
        raise MalformedEvent("chat.new_reaction without msgId or sender")
    message = _stored(session_id, target, "chat.new_reaction")
    if message is None:
        return
    if _from_me(data.get("id")) or sender == message.session.wid:
        sender = message.session.wid or ME
    message_record_reaction(
        message=message,
        sender=sender,
        emoji=str_or_empty(data.get("reactionText")),
        at=wa_time(data.get("timestamp")) or timezone.now(),
    )


def handle_revoke(*, session_id: UUID, data) -> None:
    """`chat.msg_revoke` ({id, refId, from, type}): a message deleted for everyone; `id` is
    the revoke's own key (fromMe when we deleted it from the phone), `refId` the message's."""
    data = _object(data, "chat.msg_revoke")
    target = serialized_id(data.get("refId"))
    if not target:
        raise MalformedEvent("chat.msg_revoke without refId")
    message = _stored(session_id, target, "chat.msg_revoke")
    if message is None:
        return
    if _from_me(data.get("id")):
        revoked_by = "me"
    else:
        revoked_by = "admin" if data.get("type") == "admin_revoke" else "contact"
    message_record_revoke(message=message, at=timezone.now(), revoked_by=revoked_by)


def handle_edit(*, session_id: UUID, data) -> None:
    """`chat.msg_edited` ({chat, id, msg}): `msg` is the edited message as it is now (its new
    text in `body`, or `caption` for media)."""
    data = _object(data, "chat.msg_edited")
    msg = data.get("msg") if isinstance(data.get("msg"), dict) else {}
    wa_id = serialized_id(data.get("id")) or serialized_id(msg.get("id"))
    if not wa_id:
        raise MalformedEvent("chat.msg_edited without a message id")
    message = _stored(session_id, wa_id, "chat.msg_edited")
    if message is None:
        return
    text = str_or_empty(msg.get("body")) or str_or_empty(msg.get("caption"))
    if not text:
        return  # an edit always has words; nothing to record without them
    message_record_edit(message=message, text=text, at=timezone.now(), by_me=_from_me(msg.get("id")))
