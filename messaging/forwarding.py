"""Forwarding a message to another chat (WPP.chat.forwardMessages).

A forward is a new outbound message, listed with the others: it copies what the original shows
(type, text, location, cards or poll; not our copy of its media: WhatsApp forwards its own) and
`content.forwardOf` names the original's WhatsApp id, which messaging.outbound hands to the
engine instead of sending the content again. It is queued, rate-limited, idempotent and moves
through the statuses like any send. wa-js answers without the copy's id: the copy gets it from
WhatsApp's echo (messaging.inbound adopts it by chat and text, as any send whose id is unknown).
"""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction

from messaging.actions import _check_target  # one home for "can this message be acted on"
from messaging.admission import SessionNotConnected, check_can_accept
from messaging.contacts import contact_refuse_if_absent
from messaging.models import Direction, Message, MessageStatus
from messaging.services import message_find_by_idempotency_key
from sessions_app.models import Session
from sessions_app.nudger import session_nudge_soon
from yesapp.db_writer import sqlite_writer_turn
from yesapp.errors import Conflict
from yesapp.validators import normalize_chat_id, phone_from_chat_id

logger = logging.getLogger(__name__)

# What a forward copies from `Message.content`: what the message holds, not how it was sent.
_COPIED = ("location", "contacts", "poll")


def message_forward(*, target: Message, to: str, idempotency_key: str = "") -> tuple[Message, bool]:
    """Queues forwarding `target` (either direction) to `to`; returns (message, created).

    409 `message_not_sent` while our own message has no WhatsApp id yet (or never got one),
    `message_revoked` once deleted for everyone, `session_not_connected` unless connected; 404
    for an action; 422 `not_on_whatsapp` for a number known absent; 429 past QUEUE_MAX. The
    same `idempotency_key` again returns the first forward.
    """
    session = target.session
    existing = message_find_by_idempotency_key(session=session, idempotency_key=idempotency_key)
    if existing is not None:
        return existing, False
    _check_target(target)
    if not target.wa_id:
        raise Conflict(
            f"Message {target.pk} has not reached WhatsApp yet (status {target.status}); forward it once "
            "it is sent.",
            code="message_not_sent",
            details={"messageId": str(target.pk), "status": target.status},
        )
    chat_id = normalize_chat_id(to)
    contact_refuse_if_absent(session=session, chat_id=chat_id)
    content = {key: value for key, value in target.content.items() if key in _COPIED}
    fields = {
        "chat_id": chat_id,
        "phone": phone_from_chat_id(chat_id),
        "type": target.type,
        "text": target.text,
        "content": content | {"forwarded": True, "forwardOf": target.wa_id},
        "idempotency_key": idempotency_key,
    }
    try:
        return _queue(session, fields), True
    except IntegrityError:
        existing = message_find_by_idempotency_key(session=session, idempotency_key=idempotency_key)
        if existing is not None:
            return existing, False
        raise


def _queue(session: Session, fields: dict) -> Message:
    with sqlite_writer_turn(), transaction.atomic():
        locked = Session.objects.select_for_update(no_key=True).get(pk=session.pk)
        if not locked.can_send():
            raise SessionNotConnected(
                f"Session {locked.name!r} is {locked.status}, not connected; forwards are accepted only "
                "while it is.",
                details={"sessionStatus": locked.status},
            )
        check_can_accept(locked, queue=True)
        message = Message.objects.create(
            session=locked, direction=Direction.OUTBOUND, status=MessageStatus.QUEUED, **fields
        )
        transaction.on_commit(lambda: session_nudge_soon(locked.pk))
    logger.info("Forward queued", extra={"session_id": str(locked.pk), "message_id": str(message.pk)})
    return message
