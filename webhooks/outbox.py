"""The webhook outbox: record deliveries, retry them by hand, sweep and prune them.

The flow: `webhook_deliveries_record` stores a `WebhookDelivery` for an entry of the event log
(events/log.py) in the emitting app's transaction and nudges Celery on commit
(`webhooks/nudge.py`); the task claims, sends and logs it with its lane (`webhooks/attempts.py`)
and schedules a retry with a countdown, so no worker slot ever sleeps through a delay. The
sweep finds deliveries whose nudge was lost.
"""

import logging
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from events.models import Event
from webhooks.attempts import lane_blocked, retry_delays
from webhooks.formats import RenderedEvent, webhook_format
from webhooks.models import (
    OPEN_STATUSES,
    DeliveryStatus,
    WebhookConfig,
    WebhookDelivery,
    WebhookDeliveryAttempt,
    WebhookSource,
)
from webhooks.nudge import nudge_delivery, nudge_lane
from webhooks.services import env_config_sync
from yesapp.errors import Conflict

logger = logging.getLogger(__name__)


# --- Recording --------------------------------------------------------------------------------


def webhook_deliveries_record(*, entry: Event) -> list[WebhookDelivery]:
    """Stores the logged event for each of the session's active webhooks (or the default one
    when it has none), in the caller's transaction, as each webhook's format renders it.

    Called by the `event_logged` receiver. Delivery starts right after the commit; if the
    broker is down then, the row waits for the sweep.
    """
    deliveries = []
    for config in _active_configs(entry.session_id):
        deliveries.extend(_record_for(config, entry))
    return deliveries


def _active_configs(session_id) -> list[WebhookConfig]:
    """The session's active webhooks, or the default one when it has none of its own."""
    configs = list(WebhookConfig.objects.filter(Q(session_id=session_id) | Q(source=WebhookSource.ENV)))
    own = [c for c in configs if c.session_id is not None]
    if not own:
        env = env_config_sync(next((c for c in configs if c.source == WebhookSource.ENV), None))
        own = [env] if env is not None else []
    return [config for config in own if config.is_active]


def webhooks_want(event: str, session_id) -> bool:
    """Whether a webhook of the session would be sent `event`: events/interest.py asks before it
    logs an opt-in event (chat.presence)."""
    return any(config.wants(event) for config in _active_configs(session_id))


def _record_for(config: WebhookConfig, entry: Event) -> list[WebhookDelivery]:
    delay = retry_delays()[0]
    deliveries = []
    for rendered in _rendered(config, entry):
        if not config.wants(rendered.event):
            continue
        delivery = WebhookDelivery.objects.create(
            config=config,
            session_id=entry.session_id,
            event=rendered.event,
            log_entry=entry,
            body=rendered.body,
            next_attempt_at=timezone.now() + timedelta(seconds=delay),
        )
        if config.ordered:
            nudge = partial(
                nudge_lane, delivery.pk, config_id=config.pk, session_id=entry.session_id, countdown=delay
            )
        else:
            nudge = partial(nudge_delivery, delivery.pk, countdown=delay)
        transaction.on_commit(nudge)
        deliveries.append(delivery)
    return deliveries


def _rendered(config: WebhookConfig, entry: Event) -> list[RenderedEvent]:
    """The webhook's requests for the entry. A format that fails (or is no longer installed)
    costs its own webhook this event, never the emitter's transaction and what it stores."""
    try:
        return webhook_format(config.format).render(entry, config)
    except Exception:
        logger.exception(
            "Webhook format %r could not render event #%s (%s); not sent to webhook %s",
            config.format, entry.pk, entry.name, config.uuid,
        )  # fmt: skip
        return []


# --- Manual retries --------------------------------------------------------------------------


def webhook_delivery_retry(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Sends a finished delivery again (failed, or succeeded for a replay), with a fresh schedule.

    The same body and delivery id go out, so a receiver that already has it can dedupe.
    Conflict (409) when it is still pending or being sent.
    """
    with transaction.atomic():
        restarted = WebhookDelivery.objects.filter(
            pk=delivery.pk, status__in=[DeliveryStatus.FAILED, DeliveryStatus.SUCCEEDED]
        ).update(
            status=DeliveryStatus.PENDING,
            round_attempts=0,
            next_attempt_at=timezone.now(),
            claimed_until=None,
            finished_at=None,
        )
        if not restarted:
            raise Conflict(
                "This delivery is still pending or being sent; it can be retried once it has finished.",
                details={"deliveryId": str(delivery.uuid), "status": delivery.status},
            )
        transaction.on_commit(partial(nudge_delivery, delivery.pk))
    delivery.refresh_from_db()
    logger.info("Webhook delivery %s retried by hand", delivery.uuid)
    return delivery


# --- Background upkeep ------------------------------------------------------------------------


def webhook_deliveries_sweep(*, grace: float | None = None, limit: int = 500) -> int:
    """Re-queues deliveries whose nudge was lost; returns how many were queued.

    Catches rows stored while Redis was down, retries whose countdown task died with its
    worker, and claims whose worker died mid-attempt (their lease ran out). Only a lane's
    head is queued, so ordered lanes stay in order.
    """
    now = timezone.now()
    grace = settings.WEBHOOK_SWEEP_GRACE if grace is None else grace
    stale = list(
        WebhookDelivery.objects.filter(status=DeliveryStatus.SENDING, claimed_until__lt=now).values_list(
            "id", flat=True
        )
    )
    if stale:
        WebhookDelivery.objects.filter(
            pk__in=stale, status=DeliveryStatus.SENDING, claimed_until__lt=now
        ).update(status=DeliveryStatus.PENDING, claimed_until=None, next_attempt_at=now)
        logger.warning("Webhook sweep: %s delivery claim(s) expired, sending again", len(stale))
    due = list(
        WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING)
        .filter(Q(next_attempt_at__lte=now - timedelta(seconds=grace)) | Q(pk__in=stale))
        .filter(Q(config__ordered=False) | ~lane_blocked())
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
    for delivery_id in due:
        nudge_delivery(delivery_id)
    if due:
        logger.info("Webhook sweep queued %s overdue delivery(ies)", len(due))
    return len(due)


def webhook_deliveries_prune(*, older_than_days: int | None = None, batch_size: int = 1000) -> int:
    """Deletes finished deliveries (and their attempts) older than the retention, in batches."""
    days = settings.WEBHOOK_RETENTION_DAYS if older_than_days is None else older_than_days
    if days <= 0:
        return 0
    cutoff = timezone.now() - timedelta(days=days)
    total = 0
    while True:
        ids = list(
            WebhookDelivery.objects.filter(created_at__lt=cutoff)
            .exclude(status__in=OPEN_STATUSES)
            .order_by("id")
            .values_list("id", flat=True)[:batch_size]
        )
        if not ids:
            break
        # Short transactions, so the engine's writes never wait long behind a big delete.
        with transaction.atomic():
            WebhookDeliveryAttempt.objects.filter(delivery_id__in=ids).delete()
            WebhookDelivery.objects.filter(pk__in=ids).delete()
        total += len(ids)
    if total:
        logger.info("Pruned %s webhook deliveries older than %s days", total, days)
    return total
