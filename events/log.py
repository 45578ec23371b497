"""Writing the event log: one entry per emitted event, in the emitter's transaction; and
pruning it past EVENT_RETENTION_DAYS.

Readers page by id (`after=`), so an entry must never become visible after one with a larger
id, or a reader that already moved past it would skip it for good. SQLite commits one write
transaction at a time, so ids are committed in order there. PostgreSQL hands out ids from a
sequence to concurrent transactions that may commit in any order; there the writer takes a
transaction-scoped advisory lock before taking its id, so event-writing transactions commit
one after another (they are short: storing a message, a status change).
"""

import logging
from datetime import timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.dispatch import Signal
from django.utils import timezone

from events.body import build_body
from events.broadcast import event_announce
from events.interest import anyone_listens
from events.models import Event, EventLogHorizon

logger = logging.getLogger(__name__)

# Sent with `entry` (an Event) right after it is stored, in the same transaction: the webhooks
# app makes its deliveries from it.
event_logged = Signal()

# Any constant shared by every writer; the name's digits spell "YESAPPEV".
_ORDER_LOCK_ID = 0x5945534150504556 & 0x7FFFFFFFFFFFFFFF


def _serialize_writers() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_ORDER_LOCK_ID])


def event_record(*, event: str, session_id: Any, payload: dict[str, Any]) -> Event:
    """Stores the event in the log in the caller's transaction and tells the webhooks app;
    open streams hear of it once the transaction commits."""
    with transaction.atomic():
        _serialize_writers()
        entry = Event.objects.create(
            session_id=session_id,
            name=event,
            body=build_body(event=event, session_id=session_id, payload=payload),
        )
        event_logged.send(sender=Event, entry=entry)
        transaction.on_commit(partial(event_announce, entry))
    return entry


def log_domain_event(sender, *, event: str, session_id: Any, payload: dict[str, Any], **kwargs) -> None:
    """The `yesapp.events.domain_event` receiver. Opt-in events nobody listens to are not
    logged (events/interest.py)."""
    if not anyone_listens(event=event, session_id=session_id):
        return
    event_record(event=event, session_id=session_id, payload=payload)


def events_prune(*, older_than_days: int | None = None, batch_size: int = 1000) -> int:
    """Deletes entries older than the retention, oldest first, in batches, and moves the
    horizon (the highest id deleted) with each batch."""
    days = settings.EVENT_RETENTION_DAYS if older_than_days is None else older_than_days
    if days <= 0:
        return 0
    cutoff = timezone.now() - timedelta(days=days)
    total = 0
    while True:
        ids = list(
            Event.objects.filter(created_at__lt=cutoff)
            .order_by("id")
            .values_list("id", flat=True)[:batch_size]
        )
        if not ids:
            break
        # Short transactions, so the engine's writes never wait long behind a big delete.
        with transaction.atomic():
            Event.objects.filter(pk__in=ids).delete()
            horizon, _ = EventLogHorizon.objects.select_for_update().get_or_create(pk=1)
            if ids[-1] > horizon.pruned_through:
                horizon.pruned_through = ids[-1]
                horizon.save(update_fields=["pruned_through"])
        total += len(ids)
    if total:
        logger.info("Pruned %s event log entries older than %s days", total, days)
    return total
