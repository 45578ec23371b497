"""Reads of the sandbox: wa-js shaped payloads for the page, and the outbox for the API."""

from __future__ import annotations

import base64

from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone

from sandbox import message_content
from sandbox.models import Ack, Direction, EventKind, SandboxContact, SandboxEvent, SandboxMessage
from sessions_app.models import Session


def message_model(message: SandboxMessage, *, me: str) -> dict:
    """The message as wa-js's `chat.new_message` hands it over (a MsgModel's fields), with
    Wids as strings; the page turns them into Wid-like objects.

    Like WhatsApp Web, a media message's text is its `caption` and `body` is not the text
    (WhatsApp puts a thumbnail there; the sandbox leaves it empty).
    """
    contact = message.contact
    ours = message.from_me
    key = {"fromMe": ours, "remote": message.chat_id, "id": message.key, "_serialized": message.wa_id}
    if message.author:
        key["participant"] = message.author  # a member's message in a group
    model = {
        "id": key,
        "from": me if ours else message.chat_id,
        "to": message.chat_id if ours else me,
        "author": message.author or None,
        "type": message.type,
        "body": "" if message.is_media else message.text,
        "t": int(message.created_at.timestamp()),
        "notifyName": "" if ours or contact is None else contact.name,
        # As the message was when it arrived; receipts later come as chat.msg_ack_change.
        "ack": Ack.SENT,
        "self": "out" if ours else "in",
        "isNewMsg": True,
    }
    if message.is_media:
        model.update(
            caption=message.text or None,
            mimetype=message.mimetype,
            filename=message.filename,
            size=message.size,
            # WhatsApp's filehash is the base64 SHA-256 of the plain file.
            filehash=base64.b64encode(bytes.fromhex(message.sha256)).decode() if message.sha256 else None,
        )
    model.update(message_content.model_fields(message, me=me))
    return model


def page_event(event: SandboxEvent, *, me: str) -> dict:
    """One event for the page: `{cursor, name, data}` with `name` the wa-js event it fires."""
    message = event.message
    if event.kind == EventKind.RAW:
        return {"cursor": event.cursor, "name": event.raw_name, "data": event.raw_data, "raw": True}
    if event.kind == EventKind.ACTION:
        return {"cursor": event.cursor, "name": event.raw_name, "data": event.raw_data, "action": True}
    if event.kind == EventKind.MESSAGE:
        return {"cursor": event.cursor, "name": "chat.new_message", "data": message_model(message, me=me)}
    # wa-js builds receipts' keys from the receipt's sender: remote = the contact.
    key = {"fromMe": True, "remote": message.chat_id, "id": message.key, "_serialized": message.wa_id}
    return {
        "cursor": event.cursor,
        "name": "chat.msg_ack_change",
        "data": {"ack": event.ack, "chat": message.chat_id, "sender": None, "ids": [key]},
    }


def _held_by_page(session_id) -> QuerySet[SandboxMessage]:
    """What the linked device holds: everything it sent, and what it was delivered."""
    return SandboxMessage.objects.filter(
        Q(direction=Direction.OUTBOUND) | Q(delivered_at__isnull=False), session_id=session_id
    )


def page_chats(*, session_id, count: int) -> list[dict]:
    """`WPP.chat.list`: the chats with messages, most recently active first, with `t` (unix
    seconds of the last message) and `unreadCount`, as ChatModel carries them."""
    rows = _held_by_page(session_id).values("chat_id").annotate(last=Max("created_at")).order_by("-last")
    if count > 0:
        rows = rows[:count]
    unread = dict(
        _held_by_page(session_id)
        .filter(direction=Direction.INBOUND, read_at__isnull=True)
        .values_list("chat_id")
        .annotate(n=Count("pk"))
    )
    state = {contact.chat_id: contact for contact in SandboxContact.objects.filter(session_id=session_id)}
    return [
        {
            "id": row["chat_id"],
            "t": int(row["last"].timestamp()),
            "unreadCount": unread.get(row["chat_id"], 0),
            **_chat_state(state.get(row["chat_id"])),
        }
        for row in rows
    ]


def _chat_state(contact: SandboxContact | None) -> dict:
    """A ChatModel's name, archive, pin and muteExpiration (unix seconds, 0 = not muted)."""
    if contact is None:
        return {"name": None, "archive": False, "pin": 0, "muteExpiration": 0}
    muted = contact.muted_until
    return {
        "name": contact.saved_name or None,  # WhatsApp titles a chat with the address book's name
        "archive": contact.archived,
        "pin": 1 if contact.pinned else 0,
        "muteExpiration": int(muted.timestamp()) if muted and muted > timezone.now() else 0,
    }


def page_chat_messages(*, session_id, chat_id: str, count: int, me: str) -> list[dict]:
    """`WPP.chat.getMessages(chatId, {count})`: the chat's last `count` messages (all when
    count is -1), oldest first, in the same shape as chat.new_message."""
    messages = _held_by_page(session_id).filter(chat_id=chat_id).select_related("contact")
    newest = messages.order_by("-created_at", "-id")
    if count >= 0:
        newest = newest[:count]
    return [message_model(message, me=me) for message in reversed(list(newest))]


def outbox(*, session: Session) -> QuerySet[SandboxMessage]:
    """What contacts received from the session, newest first."""
    return (
        SandboxMessage.objects.filter(session=session, direction=Direction.OUTBOUND)
        .select_related("contact")
        .order_by("-created_at", "-id")
    )


def outbox_message(*, session: Session, wa_id: str) -> SandboxMessage | None:
    return outbox(session=session).filter(wa_id=wa_id).first()
