"""Reactions, deletes and edits in the sandbox, both ways, and a contact's poll votes.

The page side stands in for `WPP.chat.sendReactionToMessage`, `deleteMessage` and
`editMessage`: what the session does to a message is recorded on it, as the contact's phone
would show it. The phone side lets a contact react to, delete or edit a message; the page then
fires `chat.new_reaction`, `chat.msg_revoke` or `chat.msg_edited` with wa-js's payload shapes
(Wids as strings here; the page's static/sandbox/wpp/conn.js turns them into Wid objects).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from sandbox import timeline
from sandbox.models import Direction, EventKind, SandboxContact, SandboxMessage
from sandbox.selectors import message_model
from sandbox.services.messages import chat_phone, contact_for
from sandbox.services.page import sandbox_page_logged_in_device
from sandbox.services.phone import sandbox_page_event
from sessions_app.models import Session
from yesapp.errors import Conflict, InvalidInput, NotFound

# WhatsApp lets a sender edit a text this long after sending it (its canEditMsg).
EDIT_WINDOW = timedelta(minutes=15)
PAGE_CLOCK_SLACK = timedelta(seconds=5)


def _message(session: Session, wa_id: str, *, for_update: bool = True) -> SandboxMessage:
    messages = SandboxMessage.objects.filter(session=session, wa_id=wa_id)
    message = (messages.select_for_update() if for_update else messages).first()
    if message is None:
        raise NotFound(f"Message {wa_id} not found", code="msg_not_found", details={"id": wa_id})
    return message


def _set_reaction(message: SandboxMessage, sender: str, emoji: str) -> None:
    reactions = dict(message.reactions or {})
    if emoji:
        reactions[sender] = emoji
    else:
        reactions.pop(sender, None)
    message.reactions = reactions
    message.save(update_fields=["reactions"])


def _edit(message: SandboxMessage, text: str) -> None:
    message.edits = [*(message.edits or []), message.text]
    message.text, message.edited_at = text, timezone.now()
    message.save(update_fields=["edits", "text", "edited_at"])


def _editable(message: SandboxMessage, *, by_session: bool) -> bool:
    ours = message.direction == (Direction.OUTBOUND if by_session else Direction.INBOUND)
    fresh = timezone.now() - message.created_at <= EDIT_WINDOW
    return ours and message.type == "chat" and message.revoked_at is None and fresh


# --- The page: what the session does ------------------------------------------------------------


def sandbox_page_react(*, session: Session, device_token: str, wa_id: str, emoji: str) -> str:
    """`WPP.chat.sendReactionToMessage`: the session's reaction on a message, either direction;
    an empty emoji removes it. Returns WhatsApp's verdict (`OK`)."""
    device = sandbox_page_logged_in_device(session=session, device_token=device_token)
    with transaction.atomic():
        _set_reaction(_message(session, wa_id), device.wid, emoji)
    return "OK"


def sandbox_page_delete(*, session: Session, device_token: str, wa_id: str, revoke: bool) -> dict:
    """`WPP.chat.deleteMessage`: revoked for everyone when asked and the message is the
    session's own, else (as wa-js does, quietly) deleted on the linked device only. Answers
    wa-js's DeleteMessageReturn."""
    sandbox_page_logged_in_device(session=session, device_token=device_token)
    with transaction.atomic():
        message = _message(session, wa_id)
        ours = message.direction == Direction.OUTBOUND
        if revoke and message.revoked_at is not None:
            verdict, revoked = "ERROR_UNKNOWN", True
        elif revoke and ours:
            message.revoked_at, verdict, revoked = timezone.now(), "OK", True
        else:
            message.device_deleted_at, verdict, revoked = timezone.now(), "OK", False
        message.save(update_fields=["revoked_at", "device_deleted_at"])
    return {
        "id": wa_id,
        "sendMsgResult": verdict,
        "isRevoked": revoked,
        "isDeleted": not revoked,
        "isSentByMe": ours,
    }


def sandbox_page_edit(*, session: Session, device_token: str, wa_id: str, text: str) -> dict:
    """`WPP.chat.editMessage`: a new text for the session's own text message, within
    EDIT_WINDOW; otherwise wa-js's `edit_message_error`. Returns the edited message's model
    (the page fires `chat.msg_edited` with it, as WhatsApp Web does for its own edits)."""
    device = sandbox_page_logged_in_device(session=session, device_token=device_token)
    with transaction.atomic():
        message = _message(session, wa_id)
        if not _editable(message, by_session=True):
            raise Conflict("Cannot edit this message", code="edit_message_error", details={"id": wa_id})
        _edit(message, text)
    return message_model(message, me=device.wid)


# --- The phone: what a contact does ------------------------------------------------------------


def _key(message: SandboxMessage, *, from_me: bool, key: str | None = None) -> dict:
    """A MsgKey in the contact's chat: the message's own, or a new one for a protocol message."""
    key = key or message.key
    serialized = f"{'true' if from_me else 'false'}_{message.chat_id}_{key}"
    return {"fromMe": from_me, "remote": message.chat_id, "id": key, "_serialized": serialized}


def _new_protocol_key(message: SandboxMessage) -> dict:
    return _key(message, from_me=False, key="3A" + secrets.token_hex(9).upper())


def sandbox_contact_react(*, session: Session, wa_id: str, emoji: str) -> int:
    """The chat's contact reacts to a message (theirs or the session's); an empty emoji takes
    their reaction back. The page fires `chat.new_reaction`. Returns the event's cursor."""
    with transaction.atomic():
        message = _message(session, wa_id)
        _set_reaction(message, message.chat_id, emoji)
        data = {
            "id": _new_protocol_key(message),
            "msgId": _key(message, from_me=message.from_me),
            "reactionText": emoji,
            "read": False,
            "sender": message.chat_id,
            "orphan": 0,
            "orphanReason": None,
            "timestamp": int(timezone.now().timestamp() * 1000),
        }
        return sandbox_page_event(session=session, name="chat.new_reaction", data=data, kind=EventKind.ACTION)


def _require_contacts_own(message: SandboxMessage, what: str) -> None:
    if message.direction != Direction.INBOUND:
        raise Conflict(
            f"A contact can only {what} their own messages; {message.wa_id} was sent by the session.",
            code="not_own_message",
        )


def sandbox_contact_revoke(*, session: Session, wa_id: str) -> int:
    """The contact deletes one of their messages for everyone; the page fires `chat.msg_revoke`."""
    with transaction.atomic():
        message = _message(session, wa_id)
        _require_contacts_own(message, "delete")
        if message.revoked_at is not None:
            raise Conflict("The message is already deleted.", code="already_revoked")
        message.revoked_at = timezone.now()
        message.save(update_fields=["revoked_at"])
        me = message.session.sandbox_device.wid
        data = {
            "author": None,
            "from": message.chat_id,
            "id": _new_protocol_key(message),
            "refId": _key(message, from_me=False),
            "to": me,
            "type": "revoke",
        }
        return sandbox_page_event(session=session, name="chat.msg_revoke", data=data, kind=EventKind.ACTION)


def sandbox_contact_edit(*, session: Session, wa_id: str, text: str) -> int:
    """The contact edits one of their text messages (within EDIT_WINDOW); the page fires
    `chat.msg_edited` with the message as it is now."""
    with transaction.atomic():
        message = _message(session, wa_id)
        _require_contacts_own(message, "edit")
        if not _editable(message, by_session=False):
            raise Conflict(
                "WhatsApp lets a contact edit only a text message, within 15 minutes, not deleted.",
                code="not_editable",
            )
        _edit(message, text)
        me = message.session.sandbox_device.wid
        # wa-js puts the message's `to` in `chat`: for a contact's message, the session itself.
        data = {"chat": me, "id": message.wa_id, "msg": message_model(message, me=me)}
        return sandbox_page_event(session=session, name="chat.msg_edited", data=data, kind=EventKind.ACTION)


def sandbox_contact_vote(*, session: Session, wa_id: str, options: list[str]) -> int:
    """The chat's contact votes in a poll (theirs or the session's): `options` by name, none to
    take the vote back, one at most in a single-choice poll. The page fires `chat.poll_response`
    as wa-js does: the chosen poll options ({name, localId}), the time in milliseconds."""
    with transaction.atomic():
        message = _message(session, wa_id)
        if message.type != "poll_creation":
            raise Conflict(f"{wa_id} is not a poll.", code="not_a_poll", details={"id": wa_id})
        poll = message.content.get("pollOptions", [])
        by_name = {option["name"]: option for option in poll}
        unknown = [name for name in options if name not in by_name]
        if unknown:
            raise InvalidInput(
                "The poll has no such option.", code="unknown_option", details={"options": unknown}
            )
        if message.content.get("pollSelectableOptionsCount") == 1 and len(set(options)) > 1:
            raise InvalidInput("This poll takes one option per voter.", code="single_choice_poll")
        chosen = [by_name[name] for name in dict.fromkeys(options)]
        message.content = {**message.content, "votes": {message.chat_id: [c["name"] for c in chosen]}}
        message.save(update_fields=["content"])
        data = {
            "msgId": _key(message, from_me=message.from_me),
            "chatId": message.chat_id,
            "selectedOptions": chosen,
            "timestamp": int(timezone.now().timestamp() * 1000),
            "sender": message.chat_id,
        }
        return sandbox_page_event(
            session=session, name="chat.poll_response", data=data, kind=EventKind.ACTION
        )


def sandbox_phone_message(*, session: Session, wa_id: str) -> SandboxMessage:
    """A message, either direction, as the contact's phone shows it (reactions, edits, deletes)."""
    return _message(session, wa_id, for_update=False)


# --- Chats: presence, and what the contact sees of them ------------------------------------------


def sandbox_page_presence(
    *, session: Session, device_token: str, chat_id: str, state: str, page_ms: object = None
) -> None:
    """`WPP.chat.markIsComposing` / `markIsRecording` / `markIsPaused`: what the contact sees
    (`typing`, `recording`, `paused`). An unknown chat is `chat_not_found`, as in wa-js.
    `page_ms` is when the page sent it (its clock, in ms): how long "typing…" showed is then
    what the page did, not how long this request waited for the database."""
    sandbox_page_logged_in_device(session=session, device_token=device_token)
    contact = _chat_contact(session, chat_id)
    contact.presence, contact.presence_at = state, _page_time(page_ms)
    contact.save(update_fields=["presence", "presence_at"])
    timeline.sandbox_presence_record(contact=contact, state=state, at=contact.presence_at)


def _page_time(page_ms: object) -> datetime:
    """The page's time when it is a number near ours, else now: a wrong clock cannot move what
    the contact saw by more than PAGE_CLOCK_SLACK."""
    now = timezone.now()
    if isinstance(page_ms, bool) or not isinstance(page_ms, int | float):
        return now
    try:
        page_time = datetime.fromtimestamp(page_ms / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return now
    return page_time if abs(page_time - now) <= PAGE_CLOCK_SLACK else now


def sandbox_page_find_chat(*, session: Session, device_token: str, chat_id: str) -> str:
    """`WPP.chat.find`: the chat with this number, made when there is none yet (wa-js creates it
    locally, findOrCreateLatestChat), so "typing…" can show before a first message. Answers the
    chat's id; a group or lid the sandbox does not have is `chat_not_found`."""
    sandbox_page_logged_in_device(session=session, device_token=device_token)
    phone = chat_phone(chat_id)
    if phone is None:
        return _chat_contact(session, chat_id).chat_id
    return contact_for(session, phone).chat_id


def _chat_contact(session: Session, chat_id: str) -> SandboxContact:
    phone = chat_phone(chat_id)
    contact = SandboxContact.objects.filter(session=session, phone=phone).first() if phone else None
    if contact is None:
        raise NotFound(f"Chat not found for {chat_id}", code="chat_not_found", details={"chatId": chat_id})
    return contact


# The API's presence states as WhatsApp Web names them in `chat.presence_change`.
_WA_STATES = {"typing": "composing", "recording": "recording", "paused": "available"}


def sandbox_contact_presence(*, session: Session, chat_id: str, state: str) -> int:
    """The chat's contact shows `typing`, `recording` or `paused` (online, not typing); the page
    fires `chat.presence_change` as WhatsApp Web does. Returns the event's cursor."""
    if state not in _WA_STATES:
        raise InvalidInput("state must be typing, recording or paused.", details={"state": state})
    with transaction.atomic():
        contact = _chat_contact(session, chat_id)
        data = {
            "id": contact.chat_id,
            "isOnline": True,
            "isGroup": False,
            "isUser": True,
            "shortName": contact.name,
            "state": _WA_STATES[state],
            "t": int(timezone.now().timestamp()),
            "isContact": True,
        }
        return sandbox_page_event(
            session=session, name="chat.presence_change", data=data, kind=EventKind.ACTION
        )


def sandbox_phone_chat(*, session: Session, chat_id: str) -> dict:
    """A chat as the contact's phone shows it: the session's presence, and how many of the
    contact's messages the session has not read yet."""
    contact = _chat_contact(session, chat_id)
    unread = contact.messages.filter(direction=Direction.INBOUND, read_at__isnull=True).count()
    return {
        "chatId": contact.chat_id,
        "presence": contact.presence,
        "presenceAt": contact.presence_at,
        "unreadBySession": unread,
        "timeline": timeline.sandbox_chat_timeline(contact=contact),
    }
