"""The webhook outbox: record, claim, attempt, retry, sweep and prune deliveries.

The flow: `webhook_deliveries_record` stores a `WebhookDelivery` for an entry of the event log
(events/log.py) in the emitting app's transaction and nudges Celery on commit
(`webhooks/nudge.py`); `webhook_delivery_attempt` (the task's body) claims the row with a
conditional UPDATE, sends once, logs the attempt and schedules the retry with a countdown, so
no worker slot ever sleeps through a delay. In an ordered lane (one session's deliveries to one
endpoint) only the oldest open delivery can be claimed; when it finishes it nudges the next,
so a slow receiver holds at most one worker slot.
"""

import logging
from datetime import timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from events.models import Event
from webhooks.models import (
    OPEN_STATUSES,
    AttemptOutcome,
    DeliveryStatus,
    WebhookConfig,
    WebhookDelivery,
    WebhookDeliveryAttempt,
    WebhookSource,
)
from webhooks.nudge import nudge_delivery
from webhooks.payloads import request_headers
from webhooks.policy import AttemptResult, is_retryable, next_delay, parse_delays
from webhooks.services import env_config_sync
from webhooks.transport import post_webhook, safe_url
from yesapp.db_retry import retry_transient_db
from yesapp.errors import Conflict

logger = logging.getLogger(__name__)

# A claimed delivery whose worker died is handed out again after the attempt's timeout plus this.
CLAIM_MARGIN = timedelta(seconds=30)


# --- Recording --------------------------------------------------------------------------------


def _delays() -> list[float]:
    return parse_delays(settings.WEBHOOK_RETRY_DELAYS)


def webhook_deliveries_record(*, entry: Event) -> list[WebhookDelivery]:
    """Stores the logged event for the session's webhook (or the default one) in the caller's
    transaction, with the log entry's exact body.

    Called by the `event_logged` receiver. Delivery starts right after the commit; if the
    broker is down then, the row waits for the sweep.
    """
    session_id, event = entry.session_id, entry.name
    configs = list(WebhookConfig.objects.filter(Q(session_id=session_id) | Q(source=WebhookSource.ENV)))
    own = next((c for c in configs if c.session_id is not None), None)
    env = next((c for c in configs if c.source == WebhookSource.ENV), None)
    config = own or env_config_sync(env)
    if config is None or not config.is_active or not config.wants(event):
        return []
    delay = _delays()[0]
    delivery = WebhookDelivery.objects.create(
        config=config,
        session_id=session_id,
        event=event,
        log_entry=entry,
        body=entry.body,
        next_attempt_at=timezone.now() + timedelta(seconds=delay),
    )
    transaction.on_commit(partial(nudge_delivery, delivery.pk, countdown=delay))
    return [delivery]


# --- Attempts ---------------------------------------------------------------------------------


def _lane_blocked() -> Exists:
    """An older open delivery in the same lane (session × endpoint) exists."""
    return Exists(
        WebhookDelivery.objects.filter(
            config_id=OuterRef("config_id"),
            session_id=OuterRef("session_id"),
            id__lt=OuterRef("id"),
            status__in=OPEN_STATUSES,
        )
    )


def _claim(delivery_id: int) -> WebhookDelivery | None:
    """Marks the delivery as being sent, if it is due and its lane lets it go now.

    Ordered lanes send only their oldest open delivery; unordered ones at most
    WEBHOOK_UNORDERED_CONCURRENCY at once, so a slow receiver never holds every worker.
    The conditional UPDATE makes sure only one caller sends a given delivery.
    """
    lane = (
        WebhookDelivery.objects.filter(pk=delivery_id)
        .values("config_id", "session_id", "config__ordered")
        .first()
    )
    if lane is None:
        return None
    now = timezone.now()
    candidates = WebhookDelivery.objects.filter(
        pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now
    )
    claim = {
        "status": DeliveryStatus.SENDING,
        "claimed_until": now + timedelta(seconds=settings.WEBHOOK_TIMEOUT) + CLAIM_MARGIN,
        "attempts": F("attempts") + 1,
        "round_attempts": F("round_attempts") + 1,
    }
    if lane["config__ordered"]:
        claimed = candidates.filter(~_lane_blocked()).update(**claim)
    else:
        with transaction.atomic():
            # Count and claim under the endpoint's row lock (SQLite: the write lock its
            # IMMEDIATE transactions take), so a burst cannot overshoot the cap.
            list(WebhookConfig.objects.select_for_update().filter(pk=lane["config_id"]).values_list("pk"))
            in_flight = WebhookDelivery.objects.filter(
                config_id=lane["config_id"], session_id=lane["session_id"], status=DeliveryStatus.SENDING
            ).count()
            claimed = candidates.update(**claim) if in_flight < settings.WEBHOOK_UNORDERED_CONCURRENCY else 0
    if not claimed:
        return None
    return WebhookDelivery.objects.select_related("config").get(pk=delivery_id)


def webhook_delivery_attempt(*, delivery_id: int) -> WebhookDelivery | None:
    """Makes the delivery's next attempt if it is due and its turn; None when it is not.

    Idempotent and safe to run concurrently: only the caller whose conditional UPDATE
    claims the row sends. Never raises for a receiver's failure; the attempt is logged.
    """
    delivery = retry_transient_db(
        lambda: _claim(delivery_id), what="claiming a webhook delivery", deadline=30
    )
    if delivery is None:
        return None
    config = delivery.config
    started_at = timezone.now()
    result = post_webhook(
        url=config.url,
        body=delivery.body.encode(),
        headers=request_headers(delivery, config),
        timeout=settings.WEBHOOK_TIMEOUT,
    )
    # The receiver has it now: the attempt must be recorded, or the sweep sends it again once
    # the claim lapses (WEBHOOK_TIMEOUT + CLAIM_MARGIN), which is how long this keeps trying.
    return retry_transient_db(
        lambda: _record_attempt(delivery, result, started_at=started_at),
        what="recording a webhook attempt",
        deadline=settings.WEBHOOK_TIMEOUT + CLAIM_MARGIN.total_seconds(),
    )


def _record_attempt(delivery: WebhookDelivery, result: AttemptResult, *, started_at) -> WebhookDelivery:
    """Logs the attempt and moves the delivery on (done, failed, or pending its retry) while
    our claim holds; what waits for this delivery or its lane is nudged after the commit."""
    now = timezone.now()
    status, outcome, retry_in = _attempt_verdict(delivery, result)
    fields = {
        "status": status,
        "claimed_until": None,
        "last_status_code": result.status_code,
        "last_error": result.error,
        "next_attempt_at": now + timedelta(seconds=retry_in or 0),
        "finished_at": None if status == DeliveryStatus.PENDING else now,
    }
    with transaction.atomic():
        # Our claim still holds unless the row was deleted or the sweep gave it to another worker.
        mine = WebhookDelivery.objects.filter(
            pk=delivery.pk, status=DeliveryStatus.SENDING, claimed_until=delivery.claimed_until
        ).update(**fields)
        if not mine:
            logger.warning(
                "Webhook delivery %s changed while being sent; attempt not recorded", delivery.uuid
            )
            return delivery
        _attempt_create(delivery, result, outcome=outcome, started_at=started_at)
        _nudge_after_attempt(delivery, status=status, retry_in=retry_in)
    for name, value in fields.items():
        setattr(delivery, name, value)
    _log_attempt(delivery, result, outcome=outcome)
    return delivery


def _attempt_verdict(
    delivery: WebhookDelivery, result: AttemptResult
) -> tuple[DeliveryStatus, AttemptOutcome, float | None]:
    """The delivery's next status, the attempt's outcome, and the seconds until the retry if any."""
    retry_in = None
    if is_retryable(result):
        retry_in = next_delay(attempts_made=delivery.round_attempts, delays=_delays())
    if result.succeeded:
        return DeliveryStatus.SUCCEEDED, AttemptOutcome.SUCCESS, retry_in
    if retry_in is not None:
        return DeliveryStatus.PENDING, AttemptOutcome.RETRY, retry_in
    return DeliveryStatus.FAILED, AttemptOutcome.FAILED, retry_in


def _attempt_create(
    delivery: WebhookDelivery, result: AttemptResult, *, outcome: AttemptOutcome, started_at
) -> WebhookDeliveryAttempt:
    return WebhookDeliveryAttempt.objects.create(
        delivery=delivery,
        number=delivery.attempts,
        url=delivery.config.url,
        started_at=started_at,
        duration_ms=result.duration_ms,
        status_code=result.status_code,
        error=result.error,
        response_excerpt=result.response_excerpt,
        outcome=outcome,
    )


def _nudge_after_attempt(
    delivery: WebhookDelivery, *, status: DeliveryStatus, retry_in: float | None
) -> None:
    """On commit: the delivery's retry when it has one, and whatever waited for room in its lane."""
    if status == DeliveryStatus.PENDING:
        transaction.on_commit(partial(nudge_delivery, delivery.pk, countdown=retry_in))
    # An ordered lane only moves on once its head has finished.
    if status != DeliveryStatus.PENDING or not delivery.config.ordered:
        transaction.on_commit(
            partial(
                _nudge_lane,
                config_id=delivery.config_id,
                session_id=delivery.session_id,
                ordered=delivery.config.ordered,
            )
        )


def _log_attempt(delivery: WebhookDelivery, result: AttemptResult, *, outcome: AttemptOutcome) -> None:
    logger.info(
        "Webhook %s %s attempt %s: %s",
        delivery.event,
        delivery.uuid,
        delivery.attempts,
        outcome,
        extra={
            "session_id": str(delivery.session_id),
            "webhook_url": safe_url(delivery.config.url),
            "status_code": result.status_code,
            "duration_ms": result.duration_ms,
            "error": result.error,
        },
    )


def _nudge_lane(*, config_id: int, session_id: Any, ordered: bool) -> None:
    """After an attempt freed the lane: queue the delivery that waited for it, if any."""
    lane = WebhookDelivery.objects.filter(config_id=config_id, session_id=session_id)
    if ordered:
        head = (
            lane.filter(status__in=OPEN_STATUSES)
            .order_by("id")
            .values("id", "status", "next_attempt_at")
            .first()
        )
    else:
        head = (
            lane.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=timezone.now())
            .order_by("id")
            .values("id", "status", "next_attempt_at")
            .first()
        )
    if head and head["status"] == DeliveryStatus.PENDING:
        wait = (head["next_attempt_at"] - timezone.now()).total_seconds()
        nudge_delivery(head["id"], countdown=max(0.0, wait))


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
        .filter(Q(config__ordered=False) | ~_lane_blocked())
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
