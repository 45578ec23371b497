"""The log of attempts: what one batch of attempts does to its deliveries, in one transaction.

A worker logs the attempts it made on the deliveries it claimed (webhooks.attempts) while its
claim holds, gives back what it claimed but did not send, and queues each retry on commit.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.db import connection, transaction
from django.db.models import F

from webhooks.models import AttemptOutcome, DeliveryStatus, WebhookDelivery, WebhookDeliveryAttempt
from webhooks.nudge import nudge_delivery
from webhooks.policy import AttemptResult
from webhooks.transport import safe_url

logger = logging.getLogger(__name__)


@dataclass
class Sent:
    """One attempt made, and what it makes of its delivery."""

    delivery: WebhookDelivery
    result: AttemptResult
    started_at: datetime
    ended_at: datetime
    status: DeliveryStatus
    outcome: AttemptOutcome
    retry_in: float | None


def _fields_after(item: Sent) -> dict[str, Any]:
    return {
        "status": item.status,
        "claimed_until": None,
        "last_status_code": item.result.status_code,
        "last_error": item.result.error,
        "next_attempt_at": item.ended_at + timedelta(seconds=item.retry_in or 0),
        "finished_at": None if item.status == DeliveryStatus.PENDING else item.ended_at,
    }


def record_attempts(claimed: list[WebhookDelivery], claimed_until: datetime, sent: list[Sent]) -> None:
    """Logs the attempts and moves their deliveries on (done, failed, or pending their retry),
    and gives back the claimed deliveries not sent, all while our claim holds. The receivers
    have them: unless this is recorded, the sweep sends them again once the claim lapses."""
    with transaction.atomic():
        # Ours unless deleted, or handed to another worker by the sweep after the claim lapsed.
        mine = set(
            WebhookDelivery.objects.select_for_update()
            .filter(pk__in=[d.pk for d in claimed], status=DeliveryStatus.SENDING)
            .filter(claimed_until=claimed_until)
            .values_list("pk", flat=True)
        )
        recorded = [item for item in sent if item.delivery.pk in mine]
        if recorded:
            _save_outcomes(recorded)
            WebhookDeliveryAttempt.objects.bulk_create([_attempt_row(item) for item in recorded])
        unsent = [d.pk for d in claimed[len(sent) :] if d.pk in mine]
        if unsent:
            WebhookDelivery.objects.filter(pk__in=unsent).update(
                status=DeliveryStatus.PENDING,
                claimed_until=None,
                attempts=F("attempts") - 1,
                round_attempts=F("round_attempts") - 1,
            )
        for item in recorded:
            if item.status == DeliveryStatus.PENDING:
                transaction.on_commit(partial(nudge_delivery, item.delivery.pk, countdown=item.retry_in))
    for item in sent:
        if item.delivery.pk not in mine:
            logger.warning(
                "Webhook delivery %s changed while being sent; attempt not recorded", item.delivery.uuid
            )
            continue
        for name, value in _fields_after(item).items():
            setattr(item.delivery, name, value)
        _log_attempt(item)


def _save_outcomes(recorded: list[Sent]) -> None:
    """One UPDATE per delivery, sent with executemany: the ORM's bulk_update builds a CASE per
    row and field, whose compiling cost more CPU than the batch's HTTP requests."""
    fields = [WebhookDelivery._meta.get_field(name) for name in _fields_after(recorded[0])]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    # Names from the model, values as parameters.
    sql = f"UPDATE {quote(WebhookDelivery._meta.db_table)} SET {assignments} WHERE {quote('id')} = %s"  # noqa: S608
    rows = []
    for item in recorded:
        values = _fields_after(item)
        rows.append(
            [field.get_db_prep_save(values[field.name], connection) for field in fields] + [item.delivery.pk]
        )
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _attempt_row(item: Sent) -> WebhookDeliveryAttempt:
    return WebhookDeliveryAttempt(
        delivery=item.delivery,
        number=item.delivery.attempts,
        url=item.delivery.config.url,
        started_at=item.started_at,
        duration_ms=item.result.duration_ms,
        status_code=item.result.status_code,
        error=item.result.error,
        response_excerpt=item.result.response_excerpt,
        outcome=item.outcome,
    )


def _log_attempt(item: Sent) -> None:
    delivery, result = item.delivery, item.result
    logger.info(
        "Webhook %s %s attempt %s: %s",
        delivery.event,
        delivery.uuid,
        delivery.attempts,
        item.outcome,
        extra={
            "session_id": str(delivery.session_id),
            "webhook_url": safe_url(delivery.config.url),
            "status_code": result.status_code,
            "duration_ms": result.duration_ms,
            "error": result.error,
        },
    )
