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
from datetime import datetime
from functools import reduce
from operator import or_

from django.db.models import Count, Max, Q

from messaging.models import Contact, Direction, Message
from sessions_app.models import Session

CHATS_PER_PAGE = 50
THREAD_LENGTH = 50


@dataclass
class ChatRow:
    chat_id: str
    last_at: datetime
    last: Message | None = None
    unread: int = 0
    name: str = ""

    @property
    def is_group(self) -> bool:
        return self.chat_id.endswith("@g.us")


def chat_list(*, session: Session, limit: int = CHATS_PER_PAGE) -> tuple[list[ChatRow], int]:
    """The `limit` most recently active chats of `session` and how many chats it has.

    One pass over the index finds each chat's newest message time (a chat list is at most a few
    thousand short rows, sorted here); then, for the page only, the last messages, the unread
    counts and the names, each in one query."""
    newest = (
        Message.objects.filter(session=session, action="")
        .values_list("chat_id")
        .annotate(last_at=Max("created_at"))
        .order_by()
    )
    everything = sorted(newest, key=lambda row: (row[1], row[0]), reverse=True)
    rows = [ChatRow(chat_id=chat_id, last_at=last_at) for chat_id, last_at in everything[:limit]]
    if rows:
        _add_last_messages(session, rows)
        _add_unread_counts(session, rows)
        _add_names(session, rows)
    return rows, len(everything)


def _add_last_messages(session: Session, rows: list[ChatRow]) -> None:
    wanted = reduce(or_, (Q(chat_id=row.chat_id, created_at=row.last_at) for row in rows))
    found = Message.objects.filter(wanted, session=session, action="").order_by("created_at")
    last = {message.chat_id: message for message in found}  # on a tie, the later row wins
    for row in rows:
        row.last = last.get(row.chat_id)


def answered_until(session: Session, chat_ids: list[str]) -> dict[str, datetime]:
    """When each chat was last answered or marked read from this session: anything outbound
    (a message, or a `read` action), the moment from which inbound messages count as unread."""
    outbound = (
        Message.objects.filter(session=session, chat_id__in=chat_ids, direction=Direction.OUTBOUND)
        .values_list("chat_id")
        .annotate(at=Max("created_at"))
        .order_by()
    )
    return dict(outbound)


def _add_unread_counts(session: Session, rows: list[ChatRow]) -> None:
    until = answered_until(session, [row.chat_id for row in rows])
    waiting = reduce(
        or_,
        (
            Q(chat_id=row.chat_id, created_at__gt=until[row.chat_id])
            if row.chat_id in until
            else Q(chat_id=row.chat_id)
            for row in rows
        ),
    )
    counts = dict(
        Message.objects.filter(waiting, session=session, direction=Direction.INBOUND, action="")
        .values_list("chat_id")
        .annotate(n=Count("chat_id"))
        .order_by()
    )
    for row in rows:
        row.unread = counts.get(row.chat_id, 0)


def _add_names(session: Session, rows: list[ChatRow]) -> None:
    """The address-book name, else the name they gave themselves: the contact list's, else the
    push name of their latest message. Groups keep their id: a member's name is not theirs."""
    people = [row for row in rows if not row.is_group]
    contacts = Contact.objects.filter(session=session, wa_id__in=[row.chat_id for row in people])
    names = {c.wa_id: c.name or c.push_name for c in contacts.only("wa_id", "name", "push_name")}
    for row in people:
        last_in = row.last if row.last and row.last.direction == Direction.INBOUND else None
        row.name = names.get(row.chat_id) or (last_in.contact_name if last_in else "")
    unnamed = [row.chat_id for row in people if not row.name]
    if unnamed:  # their last message is ours: the name is on an earlier one
        pushed = (
            Message.objects.filter(session=session, chat_id__in=unnamed, direction=Direction.INBOUND)
            .exclude(contact_name="")
            .order_by("created_at")
            .values_list("chat_id", "contact_name")
        )
        latest = dict(pushed)
        for row in people:
            row.name = row.name or latest.get(row.chat_id, "")


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
