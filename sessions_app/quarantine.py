"""Page events the engine could not handle: kept, listed, retried, pruned.

An event that raises while being stored is not dropped: WhatsApp Web has delivered it and
would never send it again. It is stored here raw with the error, the session carries on,
and a user can retry it once the cause is fixed (the actor runs the retry in its own thread,
where the browser is).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from sessions_app.models import FailedEvent, FailedEventStatus, Session
from sessions_app.services import session_nudge
from yesapp.errors import Conflict

logger = logging.getLogger(__name__)

# A megabyte string from a broken page must not become a megabyte row per event.
MAX_PAYLOAD_CHARS = 256 * 1024
MAX_ERROR_CHARS = 2000
PRUNE_BATCH = 1000


def _payload_text(data: Any) -> tuple[str, bool]:
    try:
        text = json.dumps(data, default=str, ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        text = json.dumps({"unserializable": repr(data)[:1000], "error": str(exc)})
    if len(text) > MAX_PAYLOAD_CHARS:
        return text[:MAX_PAYLOAD_CHARS], True
    return text, False


def _page_time(page_at_ms: float) -> datetime | None:
    try:
        return datetime.fromtimestamp(float(page_at_ms) / 1000, tz=UTC) if page_at_ms else None
    except (OverflowError, OSError, ValueError, TypeError):
        return None


def failed_event_record(
    *, session_id, name: str, data: Any, error: str, page_at_ms: float = 0
) -> FailedEvent:
    """Quarantines one event of `session_id` with the error that stopped it."""
    payload, truncated = _payload_text(data)
    failed = FailedEvent.objects.create(
        session_id=session_id,
        name=str(name)[:100],
        payload=payload,
        truncated=truncated,
        error=error[:MAX_ERROR_CHARS] or "unknown error",
        page_at=_page_time(page_at_ms),
    )
    logger.error(
        "Quarantined %s of session %s: %s",
        failed.name,
        session_id,
        failed.error,
        extra={"session_id": str(session_id), "failed_event_id": str(failed.pk)},
    )
    return failed


def failed_event_retry(*, failed_event: FailedEvent) -> FailedEvent:
    """Asks the session's engine to handle the event again (at once if the session runs,
    when it next connects otherwise)."""
    if failed_event.truncated:
        raise Conflict(
            "This event was too large to keep whole, so it cannot be handled again.",
            code="failed_event_truncated",
        )
    if failed_event.status == FailedEventStatus.RESOLVED:
        raise Conflict("This event was already handled by an earlier retry.", code="failed_event_resolved")
    FailedEvent.objects.filter(pk=failed_event.pk).update(
        status=FailedEventStatus.RETRYING, updated_at=timezone.now()
    )
    failed_event.refresh_from_db()
    transaction.on_commit(lambda: session_nudge(failed_event.session_id))
    return failed_event


def failed_events_to_retry(*, session_id, limit: int = 20) -> list[FailedEvent]:
    return list(
        FailedEvent.objects.filter(session_id=session_id, status=FailedEventStatus.RETRYING).order_by(
            "created_at"
        )[:limit]
    )


def failed_event_data(failed_event: FailedEvent) -> Any:
    return json.loads(failed_event.payload) if failed_event.payload else None


def failed_event_settle(*, failed_event: FailedEvent, error: str = "") -> None:
    """Records a retry's outcome: resolved, or quarantined again with the new error."""
    now = timezone.now()
    if error:
        FailedEvent.objects.filter(pk=failed_event.pk).update(
            status=FailedEventStatus.QUARANTINED,
            error=error[:MAX_ERROR_CHARS],
            attempts=failed_event.attempts + 1,
            updated_at=now,
        )
    else:
        FailedEvent.objects.filter(pk=failed_event.pk).update(
            status=FailedEventStatus.RESOLVED, resolved_at=now, updated_at=now
        )


def failed_events_prune(*, now: datetime | None = None) -> int:
    """Deletes failed events older than FAILED_EVENT_RETENTION_DAYS, in batches."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.FAILED_EVENT_RETENTION_DAYS)
    deleted = 0
    while True:
        ids = list(
            FailedEvent.objects.filter(created_at__lt=cutoff).values_list("pk", flat=True)[:PRUNE_BATCH]
        )
        if not ids:
            return deleted
        deleted += FailedEvent.objects.filter(pk__in=ids).delete()[0]


def failed_events_count(*, session: Session) -> int:
    return session.failed_events.exclude(status=FailedEventStatus.RESOLVED).count()
