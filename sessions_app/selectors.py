"""Reads of sessions, always through the caller's API key scope."""

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone

from sessions_app.models import FailedEvent, Session, SessionEvent, SessionStatus
from yesapp.errors import NotFound
from yesapp.models import ApiKey


def sessions_for_key(*, key: ApiKey) -> QuerySet[Session]:
    """The sessions a key may see: all for an admin key, its listed ones otherwise. The one
    home of the key scope rule: every lookup through a key's scope starts here."""
    sessions = Session.objects.all()
    return sessions if key.is_admin else sessions.filter(api_keys=key)


def session_visible_to_key(*, key: ApiKey, session_id) -> bool:
    """Whether `key` may see the session `session_id`, without loading it."""
    return sessions_for_key(key=key).filter(pk=session_id).exists()


def session_get_for_key(*, key: ApiKey, session_id) -> Session:
    """The session, or NotFound: also for sessions outside the key's scope, so ids don't leak."""
    try:
        return sessions_for_key(key=key).get(pk=session_id)
    except (Session.DoesNotExist, ValueError, TypeError, ValidationError) as exc:
        raise NotFound("No session with this id.", details={"sessionId": str(session_id)}) from exc


def failed_events_for_session(*, session: Session, status: str | None = None) -> QuerySet[FailedEvent]:
    failed = session.failed_events.all()
    return failed.filter(status=status) if status else failed


def failed_event_get(*, session: Session, event_id) -> FailedEvent:
    try:
        return session.failed_events.get(pk=event_id)
    except (FailedEvent.DoesNotExist, ValueError, ValidationError) as exc:
        raise NotFound("No failed event with this id.", details={"eventId": str(event_id)}) from exc


def pairing_code_state(session: Session) -> dict[str, Any]:
    """The session's last pairing code as clients see it ({} when none was asked for). A
    request the engine never answered (a lost command) shows as failed once no answer can
    come any more (ENGINE_COMMAND_TIMEOUT and a margin)."""
    state = dict(session.pairing_code or {})
    if not state:
        return {}
    state.pop("requestId", None)
    requested = state.get("requestedAt")
    if requested:
        state["requestedAt"] = requested = datetime.fromisoformat(requested)
    give_up = timedelta(seconds=settings.ENGINE_COMMAND_TIMEOUT + 10)
    if state.get("status") == "pending" and requested and timezone.now() - requested > give_up:
        state.update(status="failed", error="The engine did not answer; ask for a new code.")
    return state


def session_first_connected_at(*, session_id) -> datetime | None:
    """When the session's number was first linked and ready (its first `connected`), or None:
    where catch-up stops looking back and a warm-up starts counting days."""
    return (
        SessionEvent.objects.filter(session_id=session_id, to_status=SessionStatus.CONNECTED)
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first()
    )


def session_get_by_name_or_id(*, ref: str) -> Session:
    """For the command line, where operators name a session either way: by its name first
    (names are unique), else by its id. NotFound otherwise."""
    session = Session.objects.filter(name=ref).first()
    if session is None:
        try:
            session = Session.objects.filter(pk=ref).first()
        except (ValueError, ValidationError):  # not a UUID
            session = None
    if session is None:
        raise NotFound(f"No session named or with id {ref!r}.", details={"session": ref})
    return session
