"""Reads of the dashboard's inbox (the Chats page): a session's conversations from the messages
YesApp stored, newest first, with the last message and how many came in unanswered, and one
conversation's thread.

Fast with 1,000 chats and 100,000 messages (bench/dashboard_bench.py, docs/PERFORMANCE.md):
every query reads the (session, chat_id, direction, action, created_at) index `msg_inbox` and
nothing else until the page's own rows are known. A GROUP BY over the messages table itself
(what waha_chats does) reads every row of the session and takes half a second at that size.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import connection
from django.db.models import Count, Max, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.dateparse import parse_datetime

from groups.subjects import subjects_of
from messaging.models import Contact, Direction, Message
from sessions_app.models import Session

CHATS_PER_PAGE = 50
THREAD_LENGTH = 50
# Before any message: a chat never answered has every inbound message unread.
NEVER = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass
class ChatRow:
    chat_id: str
    last_at: datetime
    last: Message | None = None
    unread: int = 0
    name: str = ""
    pushed: str = ""  # the push name on their latest message

    @property
    def is_group(self) -> bool:
        return self.chat_id.endswith("@g.us")


def chat_list(*, session: Session, limit: int = CHATS_PER_PAGE) -> tuple[list[ChatRow], int]:
    """The `limit` most recently active chats of `session` and how many chats it has.

    Each chat's newest message time comes from index seeks (_chats_newest; a chat list is at
    most a few thousand short rows, sorted here); then, for the page only, the last messages,
    the unread counts and the names, each in one query."""
    everything = sorted(_chats_newest(session), key=lambda row: (row[1], row[0]), reverse=True)
    rows = [ChatRow(chat_id=chat_id, last_at=last_at) for chat_id, last_at in everything[:limit]]
    if rows:
        _add_last_messages(session, rows)
        _add_unread_counts(session, rows)
        _add_names(session, rows)
    return rows, len(everything)


# A skip scan of msg_inbox: the session's first chat id, then each next one, one seek each
# (a GROUP BY walks every message of the session: 50-100 ms at 100,000). Then per chat the
# newest message of each direction, one seek each. Plain SQL that SQLite and PostgreSQL share.
_NEWEST_SQL = """
WITH RECURSIVE chats(chat_id) AS (
    SELECT MIN(chat_id) FROM {table} WHERE session_id = %s
    UNION ALL
    SELECT (SELECT MIN(m.chat_id) FROM {table} m WHERE m.session_id = %s AND m.chat_id > chats.chat_id)
    FROM chats WHERE chats.chat_id IS NOT NULL
)
SELECT chat_id,
    (SELECT MAX(created_at) FROM {table} m
     WHERE m.session_id = %s AND m.chat_id = chats.chat_id AND m.direction = 'inbound' AND m.action = ''),
    (SELECT MAX(created_at) FROM {table} m
     WHERE m.session_id = %s AND m.chat_id = chats.chat_id AND m.direction = 'outbound' AND m.action = '')
FROM chats WHERE chat_id IS NOT NULL
"""


def _chats_newest(session: Session) -> list[tuple[str, datetime]]:
    """(chat id, its newest message's time) for every chat of the session with a message (a
    chat with only action rows has none)."""
    sql = _NEWEST_SQL.format(table=connection.ops.quote_name(Message._meta.db_table))
    key = Message._meta.get_field("session").get_db_prep_value(session.pk, connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, [key] * 4)
        found = cursor.fetchall()
    newest = []
    for chat_id, inbound, outbound in found:
        times = [_as_datetime(value) for value in (inbound, outbound) if value is not None]
        if times:
            newest.append((chat_id, max(times)))
    return newest


def _as_datetime(value) -> datetime:
    """SQLite hands raw SQL's datetimes back as text (UTC, as Django stores them)."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return parse_datetime(value).replace(tzinfo=UTC)


def _add_last_messages(session: Session, rows: list[ChatRow]) -> None:
    # The page's chats' messages since the oldest of their last ones: a few per chat, found by
    # index ranges. (An OR of (chat, time) pairs is one a planner may answer with a full scan.)
    since = min(row.last_at for row in rows)
    found = Message.objects.filter(
        session=session, chat_id__in=[row.chat_id for row in rows], action="", created_at__gte=since
    ).order_by("created_at")
    last = {message.chat_id: message for message in found}  # the newest of each chat wins
    for row in rows:
        row.last = last.get(row.chat_id)


def answered_until(session: Session, chat_ids: list[str]) -> dict[str, datetime]:
    """When each chat was last answered or marked read from this session: anything outbound
    (a message, a reaction, a `read` action), from when inbound messages count as unread."""
    outbound = (
        Message.objects.filter(session=session, chat_id__in=chat_ids, direction=Direction.OUTBOUND)
        .values_list("chat_id")
        .annotate(at=Max("created_at"))
        .order_by()
    )
    return dict(outbound)


def _in_chat(**more):
    """The messages of the outer row's chat: `session, chat_id, direction[, action]` lead the
    msg_inbox index, so each subquery is one short index range."""
    return Message.objects.filter(session_id=OuterRef("session_id"), chat_id=OuterRef("chat_id"), **more)


def _add_unread_counts(session: Session, rows: list[ChatRow]) -> None:
    """Unread counts and the people's push names, as subqueries per chat on the page's last
    messages: one query, each part an index range of its own chat (a query over all the chats
    at once tempts the planner into scanning every inbound message of the session)."""
    # MAX, not ORDER BY ... LIMIT 1: the latter lures SQLite to the (session, direction,
    # created_at) index, which walks the session's every outbound message.
    answered = (
        _in_chat(direction=Direction.OUTBOUND).values("chat_id").annotate(at=Max("created_at")).values("at")
    )
    waiting = (
        _in_chat(direction=Direction.INBOUND, action="", created_at__gt=OuterRef("answered_at"))
        .values("chat_id")
        .annotate(n=Count("chat_id"))
        .values("n")
    )
    pushed = (
        _in_chat(direction=Direction.INBOUND, action="")
        .exclude(contact_name="")
        .order_by("-created_at")
        .values("contact_name")[:1]
    )
    last_ids = [row.last.pk for row in rows if row.last]
    found = (
        Message.objects.filter(pk__in=last_ids)
        .annotate(answered_at=Coalesce(Subquery(answered), Value(NEVER)))
        .annotate(unread=Subquery(waiting), pushed=Subquery(pushed))
        .values_list("chat_id", "unread", "pushed")
    )
    extra = {chat_id: (unread or 0, name or "") for chat_id, unread, name in found}
    for row in rows:
        row.unread, row.pushed = extra.get(row.chat_id, (0, ""))


def _add_names(session: Session, rows: list[ChatRow]) -> None:
    """People: the address-book name, else the name they gave themselves (the contact list's,
    else the push name of their latest message). Groups: the subject YesApp last learned
    (groups/subjects.py), never a member's push name; unknown, the page shows the id. One
    query each for the page's people and its groups."""
    people = [row.chat_id for row in rows if not row.is_group]
    names = _people_names(session, people) if people else {}
    groups = [row.chat_id for row in rows if row.is_group]
    names |= subjects_of(session_id=session.pk, group_ids=groups)
    for row in rows:
        row.name = names.get(row.chat_id) or ("" if row.is_group else row.pushed)


def _people_names(session: Session, wa_ids: list[str]) -> dict[str, str]:
    contacts = Contact.objects.filter(session=session, wa_id__in=wa_ids).only("wa_id", "name", "push_name")
    return {c.wa_id: c.name or c.push_name for c in contacts}


def chat_name(*, session: Session, chat_id: str) -> str:
    """One chat's name as the chat list shows it (for a chat open beyond the list's page),
    without the push-name fallback; "" when unknown."""
    if chat_id.endswith("@g.us"):
        return subjects_of(session_id=session.pk, group_ids=[chat_id]).get(chat_id, "")
    return _people_names(session, [chat_id]).get(chat_id, "")


def chat_thread(*, session: Session, chat_id: str, limit: int = THREAD_LENGTH) -> list[Message]:
    """The chat's latest `limit` messages, oldest first (as a conversation reads), without the
    action rows (reactions and edits show on the messages they act on)."""
    newest = Message.objects.filter(session=session, chat_id=chat_id, action="").order_by("-created_at")
    return list(reversed(newest[:limit]))


def chat_unread(*, session: Session, chat_id: str) -> int:
    """Inbound messages of the chat after it was last answered or marked read."""
    since = answered_until(session, [chat_id]).get(chat_id)
    waiting = Message.objects.filter(session=session, chat_id=chat_id, direction=Direction.INBOUND, action="")
    return (waiting.filter(created_at__gt=since) if since else waiting).count()
