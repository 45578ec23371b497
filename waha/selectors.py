"""Reads for the WAHA endpoints, always through the API key's scope (sessions_for_key)."""

from __future__ import annotations

from typing import Any

from django.db.models import Max, QuerySet

from messaging.models import Message
from sessions_app.models import Session
from sessions_app.selectors import sessions_for_key
from yesapp.errors import NotFound
from yesapp.models import ApiKey


class SessionNotFound(NotFound):
    code = "session_not_found"


def waha_session_get(*, key: ApiKey, name: str) -> Session:
    """A session by its name (WAHA's only handle), or WAHA's 404; a session outside the key's
    scope is not found either, so names don't leak."""
    session = sessions_for_key(key=key).filter(name=name).first()
    if session is None:
        raise SessionNotFound(f"We didn't find a session with name '{name}'.")
    return session


def waha_sessions(*, key: ApiKey, include_stopped: bool) -> QuerySet[Session]:
    sessions = sessions_for_key(key=key).order_by("name")
    return sessions if include_stopped else sessions.exclude(status="stopped")


def waha_chats(*, session: Session, limit: int, offset: int) -> list[dict[str, Any]]:
    """The session's chats, most recently active first, from the messages YesApp stored (YesApp
    keeps no chat list of its own): WAHA's chat id, a name when a contact gave one, the time of
    the last message in seconds."""
    rows = (
        Message.objects.filter(session=session, action="")
        .values("chat_id")
        .annotate(last=Max("created_at"))
        .order_by("-last", "chat_id")[offset : offset + limit]
    )
    names = dict(
        Message.objects.filter(session=session, chat_id__in=[row["chat_id"] for row in rows])
        .exclude(contact_name="")
        .values_list("chat_id", "contact_name")
    )
    return [
        {
            "id": row["chat_id"],
            "name": names.get(row["chat_id"]) or None,
            "conversationTimestamp": int(row["last"].timestamp()),
        }
        for row in rows
    ]
