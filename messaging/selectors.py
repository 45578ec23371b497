"""Reads of the messaging app. Every session or message lookup for an API key goes through
`session_for_key` / `message_for_key`, which apply the key's scope: a key that may not see a
session gets the same 404 as for a session that does not exist, so ids don't leak."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

from django.db.models import Count, Q
from django.utils import timezone

from messaging.models import BACKLOG_STATUSES, Direction, Message, MessageStatus
from sessions_app.models import Session
from sessions_app.selectors import session_visible_to_key, sessions_for_key
from yesapp.errors import Conflict, NotFound
from yesapp.models import ApiKey

# When this process started: the `uptime` of /api/v1/stats.
PROCESS_STARTED = time.time()


def _uuid_or_none(value) -> uuid.UUID | None:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        return None


def message_for_key(*, key: ApiKey, message_id, session: Session | None = None) -> Message:
    """The message `message_id` (in `session`, when given) if `key` may see its session."""
    pk = _uuid_or_none(message_id)
    messages = Message.objects.select_related("session")
    if session is not None:
        messages = messages.filter(session=session)
    message = messages.filter(pk=pk).first() if pk else None
    if message is None or not session_visible_to_key(key=key, session_id=message.session_id):
        raise NotFound(f"No message with id {message_id!s}.", code="message_not_found")
    return message


def message_list(
    *,
    session: Session,
    direction: str = "all",
    chat_id: str = "",
    phone: str = "",
    status: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Message], int]:
    """A page of the session's messages, newest first, and the total that match the filters.

    `phone` (E.164) matches the other party's number, and its `@c.us` chat; `since`
    is inclusive and `until` exclusive, on the time the message was stored. Action rows
    (reactions, edits, deletes sent through the API) are not messages: they are left out.
    """
    messages = Message.objects.filter(session=session, action="")
    if direction in (Direction.INBOUND, Direction.OUTBOUND):
        messages = messages.filter(direction=direction)
    if chat_id:
        messages = messages.filter(chat_id=chat_id)
    if phone:
        messages = messages.filter(Q(phone=phone) | Q(chat_id=f"{phone.lstrip('+')}@c.us"))
    if status:
        messages = messages.filter(status=status)
    if since:
        messages = messages.filter(created_at__gte=since)
    if until:
        messages = messages.filter(created_at__lt=until)
    total = messages.count()
    page = list(messages.select_related("session").order_by("-created_at", "-id")[offset : offset + limit])
    return page, total


def stats_for_key(*, key: ApiKey, now: datetime | None = None) -> dict:
    """Sessions by status, messages sent/received in the last 24 h, queue depths, uptime;
    restricted to the sessions `key` may see."""
    now = now or timezone.now()
    sessions = sessions_for_key(key=key)
    by_status = {
        row["status"]: row["n"] for row in sessions.order_by().values("status").annotate(n=Count("pk"))
    }
    messages = Message.objects.filter(session__in=sessions)
    day_ago = now - timedelta(hours=24)
    # Actions (reactions, edits, ...) wait in the queues but are not messages sent.
    counts = messages.aggregate(
        sent=Count("pk", filter=Q(direction=Direction.OUTBOUND, action="", sent_at__gte=day_ago)),
        received=Count("pk", filter=Q(direction=Direction.INBOUND, created_at__gte=day_ago)),
        failed=Count("pk", filter=Q(direction=Direction.OUTBOUND, action="", failed_at__gte=day_ago)),
    )
    queues = _queue_depths(messages)
    return {
        "sessions": {"total": sum(by_status.values()), "byStatus": by_status},
        "messages": {
            "sentLast24h": counts["sent"],
            "receivedLast24h": counts["received"],
            "failedLast24h": counts["failed"],
        },
        "queues": {
            "total": sum(row["pending"] + row["queued"] + row["sending"] for row in queues),
            "sessions": queues,
        },
        "uptimeSeconds": int(time.time() - PROCESS_STARTED),
        "startedAt": datetime.fromtimestamp(PROCESS_STARTED, tz=UTC).isoformat().replace("+00:00", "Z"),
    }


def _queue_depths(messages) -> list[dict]:
    """Per session with a backlog, its outbound messages pending, queued and sending; by name."""
    backlog = (
        messages.filter(direction=Direction.OUTBOUND, status__in=BACKLOG_STATUSES)
        .order_by()
        .values("session_id", "session__name")
        .annotate(
            pending=Count("pk", filter=Q(status=MessageStatus.PENDING)),
            queued=Count("pk", filter=Q(status=MessageStatus.QUEUED)),
            sending=Count("pk", filter=Q(status=MessageStatus.SENDING)),
        )
    )
    return sorted(
        (
            {
                "sessionId": str(row["session_id"]),
                "name": row["session__name"],
                "pending": row["pending"],
                "queued": row["queued"],
                "sending": row["sending"],
            }
            for row in backlog
        ),
        key=lambda row: row["name"],
    )


class ReplyToNotFound(NotFound):
    code = "reply_to_not_found"


class ReplyToNotSent(Conflict):
    code = "reply_to_not_sent"


def message_quotable(*, session: Session, reference: str) -> Message:
    """The message `replyTo` names, by YesApp message id or WhatsApp id, in `session`'s chats.

    WhatsApp quotes by its own id (`quotedMsg`), so the message must have one: a send of ours
    that has not gone out yet cannot be quoted (409). An id this session never stored is 404.
    """
    pk = _uuid_or_none(reference)
    messages = Message.objects.filter(session=session)
    found = messages.filter(pk=pk).first() if pk else messages.filter(wa_id=reference).first()
    if found is None:
        raise ReplyToNotFound(
            f"replyTo {reference!r} is not a message of this session (a messageId or waMessageId).",
            details={"replyTo": reference},
        )
    if not found.wa_id:
        raise ReplyToNotSent(
            f"Message {found.pk} has not reached WhatsApp yet (status {found.status}), so it cannot be "
            "quoted; reply once it is sent.",
            details={"replyTo": reference, "status": found.status},
        )
    return found


def message_quoted_in_chat(*, session_id, chat_id: str, stanza_id: str) -> Message | None:
    """A received message's quote (wa-js `quotedStanzaID`, the id part of the quoted key)."""
    if not stanza_id:
        return None
    return (
        Message.objects.filter(session_id=session_id, chat_id=chat_id, wa_id__contains=f"_{stanza_id}")
        .only("pk", "wa_id")
        .first()
    )


def message_texts(*, ids) -> dict:
    """The text of each message by id, in one query (the quotes of a page of messages)."""
    return dict(Message.objects.filter(pk__in=ids).values_list("pk", "text")) if ids else {}
