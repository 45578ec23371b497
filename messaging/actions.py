"""Acting on a message through the API: react to it, delete it, edit it; and on a chat: mark it
read, show typing or recording.

An action is an outbound `Message` row with `action` set and `target` the message acted on
(`text` holds the emoji or the new text); a chat action has no target, only its chat. It goes
through the session's one send queue: stored `queued`, sent by messaging.outbound in order with
the messages (so a reaction to a message still queued goes out after it), counted by the same
rate limit and QUEUE_MAX, and it reaches `sent` or `failed` like a message, with
`message.status` events. Once WhatsApp took it, messaging.outbound_actions records the change
on the target (messaging.changes).
Action rows are not listed with the messages.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from messaging.admission import SessionNotConnected, check_can_accept
from messaging.models import Direction, Message, MessageAction, MessageStatus
from sessions_app.models import Session
from sessions_app.nudger import session_nudge_soon
from yesapp.db_writer import sqlite_writer_turn
from yesapp.errors import Conflict, InvalidInput, NotFound
from yesapp.validators import normalize_chat_id, phone_from_chat_id

logger = logging.getLogger(__name__)

# WhatsApp's own limits (its canEditMsg / canRevokeMsg): a text can be edited for 15 minutes
# after it was sent, and deleted for everyone for about 60 hours (2 days and 12 hours).
EDIT_WINDOW = timedelta(minutes=15)
REVOKE_WINDOW = timedelta(hours=60)
EMOJI_MAX_CHARS = 16
# No way to list every emoji; letters, digits and spaces are surely not one. Python's `\s` is
# str.isspace(); \x1c-\x1f and \x85 are named too for the schema's ECMA-262 readers.
EMOJI_PATTERN = rf"^[^\s\x1c-\x1f\x85A-Za-z0-9]{{0,{EMOJI_MAX_CHARS}}}$"


def _refuse(code: str, message: str, target: Message) -> Conflict:
    return Conflict(message, code=code, details={"messageId": str(target.pk), "status": target.status})


def _check_target(target: Message, *, revoked_ok: bool = False) -> None:
    if target.action:
        raise NotFound(
            f"No message with id {target.pk}: it is an action, not a message.", code="message_not_found"
        )
    if target.revoked_at is not None and not revoked_ok:
        raise _refuse("message_revoked", "This message was deleted for everyone.", target)
    unsent = target.direction == Direction.OUTBOUND and not target.wa_id
    if unsent and target.status == MessageStatus.FAILED:
        raise _refuse("message_not_sent", "This message was never sent: there is nothing to act on.", target)


def _check_own(target: Message, what: str) -> None:
    if target.direction != Direction.OUTBOUND:
        raise _refuse("not_own_message", f"Only messages this session sent can be {what}.", target)


def _check_age(target: Message, window: timedelta, code: str, what: str) -> None:
    sent = target.sent_at or target.wa_timestamp
    if sent is not None and timezone.now() - sent > window:
        raise _refuse(code, f"WhatsApp allows {what} within {_duration(window)} of sending.", target)


def _duration(window: timedelta) -> str:
    minutes = int(window.total_seconds() // 60)
    return f"{minutes} minutes" if minutes < 120 else f"{minutes // 60} hours"


def _queue(*, target: Message, action: str, text: str = "") -> Message:
    return _queue_in_chat(
        session_id=target.session_id, chat_id=target.chat_id, action=action, text=text, target=target
    )


def _queue_in_chat(*, session_id, chat_id: str, action: str, text: str = "", target: Message | None = None):
    """Stores the action `queued` behind whatever the session already has queued."""
    with sqlite_writer_turn(), transaction.atomic():
        locked = Session.objects.select_for_update(no_key=True).get(pk=session_id)
        if not locked.can_send():
            raise SessionNotConnected(
                f"Session {locked.name!r} is {locked.status}, not connected; actions on messages are "
                "accepted only while it is.",
                details={"sessionStatus": locked.status},
            )
        check_can_accept(locked, queue=True)  # QUEUE_MAX counts actions too
        row = Message.objects.create(
            session=locked,
            direction=Direction.OUTBOUND,
            status=MessageStatus.QUEUED,
            type=action,
            action=action,
            target=target,
            chat_id=chat_id,
            phone=target.phone if target else phone_from_chat_id(chat_id),
            text=text,
        )
        session_id = locked.pk
        transaction.on_commit(lambda: session_nudge_soon(session_id))
    logger.info(
        "Action queued", extra={"session_id": str(session_id), "message_id": str(row.pk), "type": action}
    )
    return row


def _check_emoji(emoji: str) -> None:
    if not re.fullmatch(EMOJI_PATTERN, emoji):
        raise InvalidInput(
            'emoji must be one emoji, such as "👍", or "" to remove the reaction.',
            code="invalid_emoji",
            details={"emoji": emoji},
        )


def message_react(*, target: Message, emoji: str) -> Message:
    """Queues our reaction to `target` (either direction); an empty `emoji` removes it
    (WPP.chat.sendReactionToMessage). Returns the action row."""
    _check_emoji(emoji)
    _check_target(target)
    return _queue(target=target, action=MessageAction.REACTION, text=emoji)


def message_delete(*, target: Message, for_everyone: bool = True) -> Message:
    """Queues deleting `target`: for everyone (a revoke: our own messages only, within
    REVOKE_WINDOW) or, with `for_everyone=False`, on the linked device only
    (WPP.chat.deleteMessage); a message deleted for everyone can still be cleared from the
    device. Returns the action row."""
    _check_target(target, revoked_ok=not for_everyone)
    if for_everyone:
        _check_own(target, "deleted for everyone")
        _check_age(target, REVOKE_WINDOW, "revoke_window_passed", "deleting a message for everyone")
    action = MessageAction.REVOKE if for_everyone else MessageAction.DELETE
    return _queue(target=target, action=action)


def message_edit(*, target: Message, text: str) -> Message:
    """Queues a new text for one of our text messages, within WhatsApp's EDIT_WINDOW
    (WPP.chat.editMessage). Returns the action row."""
    _check_target(target)
    _check_own(target, "edited")
    if target.type != "text" or target.has_media:
        raise _refuse("not_editable", f"Only text messages can be edited; this one is {target.type}.", target)
    _check_age(target, EDIT_WINDOW, "edit_window_passed", "editing a message")
    if not text.strip():
        raise InvalidInput("text must not be empty.", details={"text": text})
    return _queue(target=target, action=MessageAction.EDIT, text=text)


PRESENCE_STATES = ("typing", "recording", "paused")


def chat_mark_read(*, session: Session, chat: str) -> Message:
    """Queues marking a chat read (WPP.chat.markIsRead): the contact sees blue ticks."""
    return _queue_in_chat(session_id=session.pk, chat_id=normalize_chat_id(chat), action=MessageAction.READ)


def chat_set_presence(*, session: Session, chat: str, state: str) -> Message:
    """Queues showing `typing`, `recording` or `paused` in a chat (WPP.chat.markIsComposing,
    markIsRecording, markIsPaused); WhatsApp drops typing or recording after about 25 s."""
    if state not in PRESENCE_STATES:
        raise InvalidInput(f"state must be one of {', '.join(PRESENCE_STATES)}.", details={"state": state})
    chat_id = normalize_chat_id(chat)
    return _queue_in_chat(session_id=session.pk, chat_id=chat_id, action=MessageAction.PRESENCE, text=state)
