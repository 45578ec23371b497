"""Reads of the event log, always through the caller's API key scope."""

from collections.abc import Iterable
from uuid import UUID

from django.db.models import QuerySet

from events.models import Event, EventLogHorizon
from sessions_app.selectors import sessions_for_key
from yesapp.events import OPT_IN_EVENTS
from yesapp.models import ApiKey


def events_for_key(
    *, key: ApiKey, after: int = 0, session_id: UUID | None = None, names: Iterable[str] = ()
) -> QuerySet[Event]:
    """The entries after `after` that `key` may see, oldest first: of `session_id` only when
    given (the caller has checked the key sees it), of the event `names` only when given (opt-in
    events only when named)."""
    entries = Event.objects.filter(id__gt=after).order_by("id")
    if not key.is_admin:
        entries = entries.filter(session__in=sessions_for_key(key=key))
    if session_id is not None:
        entries = entries.filter(session_id=session_id)
    names = list(names)
    if not names:
        # Opt-in events (chat.presence) only for readers that name them, as for webhooks.
        return entries.exclude(name__in=OPT_IN_EVENTS)
    return entries.filter(name__in=names)


def event_log_horizon() -> int:
    """The highest id pruning deleted (0 before any). Resuming from below it misses events."""
    return EventLogHorizon.objects.filter(pk=1).values_list("pruned_through", flat=True).first() or 0


def event_log_end() -> int:
    """The id of the newest entry (0 for an empty log): where a stream asked for no past starts."""
    return Event.objects.order_by("-id").values_list("id", flat=True).first() or 0
