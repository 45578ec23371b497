"""Reads the Stats page needs beyond the API's own stats (messaging.selectors.stats_for_key):
hourly message counts, webhook outcomes, Celery queue lengths and live engine nodes.

Every read is scoped by the viewer's key exactly like the API's selectors, and bounded:
one aggregate query per figure, Redis calls with the shared timeouts.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from messaging.models import Direction, Message
from sessions_app.engine.nodes import live_nodes
from sessions_app.engine.worker import node_queue
from sessions_app.selectors import sessions_for_key
from webhooks.models import DeliveryStatus, WebhookDelivery
from yesapp.models import ApiKey
from yesapp.redis import get_redis

logger = logging.getLogger(__name__)

HOURS = 24


def messages_per_hour(*, key: ApiKey, now: datetime | None = None) -> list[dict]:
    """Outgoing and incoming messages stored in each of the last 24 hours, oldest hour first.

    One COUNT per hour and direction on the (session, direction, created_at) index: 48 small
    index-range reads stay in tens of milliseconds with a busy day in the table, where one
    aggregate over the rows (or bucketing by `sent_at`, which has no index) takes ten times
    longer. Outgoing messages count in the hour they were queued, whatever their status.
    Actions (reactions, edits, deletes, reads, presence) are queued as rows too but are not
    messages: left out, as in the API's list and stats.
    """
    now = now or timezone.now()
    end = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    starts = [end - timedelta(hours=HOURS - i) for i in range(HOURS)]
    scope = Message.objects.filter(session__in=sessions_for_key(key=key), action="")

    def count(direction: str, start: datetime) -> int:
        return scope.filter(
            direction=direction, created_at__gte=start, created_at__lt=start + timedelta(hours=1)
        ).count()

    return [
        {
            "start": start,
            "sent": count(Direction.OUTBOUND, start),
            "received": count(Direction.INBOUND, start),
        }
        for start in starts
    ]


def webhook_outcomes(*, key: ApiKey, now: datetime | None = None) -> dict:
    """Deliveries created in the last 24 h by status, and the success rate of the finished ones
    (None when none finished)."""
    now = now or timezone.now()
    deliveries = WebhookDelivery.objects.filter(
        session__in=sessions_for_key(key=key), created_at__gte=now - timedelta(hours=24)
    )
    row = deliveries.aggregate(
        succeeded=Count("pk", filter=Q(status=DeliveryStatus.SUCCEEDED)),
        failed=Count("pk", filter=Q(status=DeliveryStatus.FAILED)),
        pending=Count("pk", filter=Q(status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENDING])),
    )
    finished = row["succeeded"] + row["failed"]
    row["success_rate"] = round(100 * row["succeeded"] / finished, 1) if finished else None
    return row


def celery_queue_depths(*, nodes: list[str] | None = None) -> dict[str, int | None]:
    """Tasks waiting in each Celery queue (a Redis list of the queue's name), the live engine
    nodes' own queues (`engine.<node>`) included; None for each when Redis does not answer."""
    names = [queue.name for queue in settings.CELERY_TASK_QUEUES] + [node_queue(node) for node in nodes or ()]
    try:
        pipe = get_redis().pipeline(transaction=False)
        for name in names:
            pipe.llen(name)
        return dict(zip(names, pipe.execute(), strict=True))
    except Exception as exc:  # Redis down: show "unknown", not a 500
        logger.warning("Could not read Celery queue lengths: %s", exc)
        return dict.fromkeys(names)


def engine_nodes() -> list[str] | None:
    """Live engine worker nodes; None when Redis does not answer."""
    try:
        return live_nodes()
    except Exception as exc:
        logger.warning("Could not list engine nodes: %s", exc)
        return None
