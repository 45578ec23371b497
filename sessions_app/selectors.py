"""Reads of sessions, always through the caller's API key scope."""

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from sessions_app.models import Session
from yesapp.errors import NotFound
from yesapp.models import ApiKey


def sessions_for_key(*, key: ApiKey) -> QuerySet[Session]:
    """The sessions a key may see: all for an admin key, its listed ones otherwise."""
    sessions = Session.objects.all()
    return sessions if key.is_admin else sessions.filter(api_keys=key)


def session_get_for_key(*, key: ApiKey, session_id) -> Session:
    """The session, or NotFound: also for sessions outside the key's scope, so ids don't leak."""
    try:
        return sessions_for_key(key=key).get(pk=session_id)
    except (Session.DoesNotExist, ValueError, TypeError, ValidationError) as exc:
        raise NotFound("No session with this id.", details={"sessionId": str(session_id)}) from exc


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
