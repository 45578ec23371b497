"""A session's chats as WhatsApp Web lists them (WPP.chat.list), and the import of a chat's
earlier messages into YesApp's store (WPP.chat.getMessages), both asked of the session's page.

The chat list is not cached: unread counts and last messages change with every message. An
import stores what it finds once per WhatsApp id, as messages from before: no webhooks (they
are not news), `createdAt` when they were sent, and media downloaded afterwards in the
background (`mediaStatus` `pending`, then `stored`), one file at a time, like a retried
download, so a 500-message import does not hold the browser.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from messaging.content import API_TYPES
from messaging.directory import contact_remember_pair
from messaging.inbound import MEDIA_TYPES, history_fields
from messaging.models import Direction, Message, MessageStatus
from messaging.people import lid_pairs_for, person_json
from messaging.wa_values import serialized_id, str_or_empty, wa_time
from sessions_app.models import Session
from sessions_app.page_query import session_page_query
from yesapp.errors import NotFound, ServiceUnavailable
from yesapp.validators import normalize_chat_id

LIST_COMMAND = "chats_list"
HISTORY_COMMAND = "chats_history"
CHAT_NOT_FOUND_CODE = "chat_not_found"


def chat_list(*, session: Session, limit: int, offset: int) -> tuple[list[dict], int]:
    """One page of the session's chats (people and groups), most recently active first, and
    how many there are. 409 when the session is not connected, 504 when the page is slow."""
    answer = session_page_query(
        session=session,
        command=LIST_COMMAND,
        args={"offset": offset, "limit": limit},
        wait=settings.CONTACTS_QUERY_TIMEOUT,
    )
    chats = [chat for chat in answer.get("chats") or [] if isinstance(chat, dict) and chat.get("id")]
    for chat in chats:
        contact_remember_pair(session=session, wa_id=str(chat["id"]), answer=chat)
    pairs = lid_pairs_for(session_id=session.pk, ids=[str(chat["id"]) for chat in chats])
    last_ids = [serialized_id((chat.get("lastMessage") or {}).get("id")) for chat in chats]
    stored = dict(
        Message.objects.filter(session=session, wa_id__in=[i for i in last_ids if i]).values_list(
            "wa_id", "id"
        )
    )
    return [_chat_json(chat, pairs, stored) for chat in chats], int(answer.get("total") or 0)


def _chat_json(chat: dict, pairs: dict[str, str], stored: dict) -> dict:
    chat_id = str(chat["id"])
    group = chat_id.endswith("@g.us")
    muted_until = _mute_end(chat.get("muteExpiration"))
    return {
        "id": chat_id,
        "name": str_or_empty(chat.get("name")) or None,
        "kind": "group" if group else "user",
        "contact": None if group else person_json(chat_id, pairs),
        "unreadCount": max(0, int(chat.get("unreadCount") or 0)),
        "archived": bool(chat.get("archived")),
        "pinned": bool(chat.get("pinned")),
        "muted": muted_until is not None,
        "mutedUntil": muted_until if muted_until != "forever" else None,
        "lastActivityAt": wa_time(chat.get("t")),
        "lastMessage": _last_message(chat.get("lastMessage"), stored),
    }


def _mute_end(value) -> datetime | str | None:
    """WhatsApp's muteExpiration: unix seconds, -1 for muted for good, 0 or past = not muted."""
    try:
        seconds = int(value or 0)
    except (TypeError, ValueError):
        return None
    if seconds < 0:
        return "forever"
    if seconds <= timezone.now().timestamp():
        return None
    return datetime.fromtimestamp(seconds, tz=UTC)


def _last_message(data, stored: dict) -> dict | None:
    if not isinstance(data, dict) or not serialized_id(data.get("id")):
        return None
    wa_id = serialized_id(data.get("id"))
    key = data.get("id") if isinstance(data.get("id"), dict) else {}
    wa_type = str_or_empty(data.get("type")) or "chat"
    text = str_or_empty(data.get("caption")) if wa_type in MEDIA_TYPES else str_or_empty(data.get("body"))
    return {
        "waId": wa_id,
        "messageId": stored.get(wa_id),
        "fromMe": bool(key.get("fromMe")),
        "type": API_TYPES.get(wa_type, wa_type[:40]),
        "text": text if wa_type != "vcard" else "",
        "timestamp": wa_time(data.get("t")),
    }


# --- history -----------------------------------------------------------------------------------


def chat_sync_history(*, session: Session, chat: str, limit: int) -> dict:
    """Imports up to `limit` of the chat's latest messages from WhatsApp Web (which has the
    phone send older ones when it holds fewer), skipping those stored already and those older
    than MESSAGE_RETENTION_DAYS (they would be pruned within the hour). 404 `chat_not_found`
    for a chat WhatsApp Web does not have."""
    chat_id = normalize_chat_id(chat)
    try:
        answer = session_page_query(
            session=session,
            command=HISTORY_COMMAND,
            args={"chatId": chat_id, "limit": limit},
            wait=settings.HISTORY_SYNC_TIMEOUT,
        )
    except ServiceUnavailable as exc:
        if exc.code != CHAT_NOT_FOUND_CODE:
            raise
        raise NotFound(
            f"The session's WhatsApp has no chat {chat_id}.",
            code=CHAT_NOT_FOUND_CODE,
            details={"chatId": chat_id},
        ) from exc
    found = [data for data in answer.get("messages") or [] if isinstance(data, dict)]
    counts = {"imported": 0, "alreadyStored": 0, "skipped": 0}
    oldest = None
    for data in found:
        outcome, sent_at = _import(session, data)
        counts[outcome] += 1
        if sent_at is not None and (oldest is None or sent_at < oldest):
            oldest = sent_at
    return {"chatId": chat_id, "limit": limit, "found": len(found), **counts, "oldestAt": oldest}


def _import(session: Session, data: dict) -> tuple[str, datetime | None]:
    wa_id, from_me, fields = history_fields(session_id=session.pk, data=data)
    sent_at = fields["wa_timestamp"]
    days = settings.MESSAGE_RETENTION_DAYS  # 0 keeps messages for good
    too_old = days > 0 and sent_at is not None and sent_at < timezone.now() - timedelta(days=days)
    if not wa_id or not fields["chat_id"] or sent_at is None or too_old:
        return "skipped", sent_at
    if Message.objects.filter(session=session, wa_id=wa_id).exists():
        return "alreadyStored", sent_at
    direction = Direction.OUTBOUND if from_me else Direction.INBOUND
    try:
        with transaction.atomic():
            message = Message.objects.create(
                session=session,
                direction=direction,
                wa_id=wa_id,
                status=MessageStatus.SENT if from_me else MessageStatus.RECEIVED,
                from_phone=from_me,
                sent_at=sent_at if from_me else None,
                notified_at=timezone.now(),  # history is not news: no message.received
                **fields,
            )
            # Listed where it belongs in the conversation: by when it was sent.
            Message.objects.filter(pk=message.pk).update(created_at=sent_at)
    except IntegrityError:
        return "alreadyStored", sent_at
    return "imported", sent_at
