"""Queueing a delivery's attempt on Celery: a nudge, which may be lost. The row is the truth,
and the outbox's sweep finds a delivery whose nudge never arrived."""

import contextlib
import logging
import threading
from typing import Any

from celery import current_app
from redis.exceptions import RedisError

from yesapp.redis import get_redis

logger = logging.getLogger(__name__)

_broker = threading.local()


def _broker_connection():
    """This thread's broker connection, which fails at once when Redis is down.

    Celery's shared pool retries a connection for seconds; the nudge runs in the emitting
    thread (an engine actor, an API request) and must not stall it when the row is safe.
    """
    connection = getattr(_broker, "connection", None)
    if connection is None:
        connection = current_app.connection_for_write(transport_options={"max_retries": 0})
        _broker.connection = connection
    return connection


# A lane handed on after its turn waits behind lanes that just got their first event: a new
# message in a quiet session is not queued behind every busy lane's next turn. (Redis queues
# take priority 0 first; Celery tasks have 0 unless told otherwise.)
HANDED_ON_PRIORITY = 6


def nudge_delivery(delivery_id: int, *, countdown: float = 0, priority: int | None = None) -> None:
    """Queues one attempt of the delivery after `countdown` seconds; logs instead of raising."""
    from webhooks.tasks import deliver_webhook

    # Twice: a kept connection may have died with a Redis restart; a fresh one tells the truth.
    for last_try in (False, True):
        try:
            deliver_webhook.apply_async(
                (delivery_id,),
                countdown=countdown or None,
                priority=priority,
                retry=False,
                connection=_broker_connection(),
            )
            return
        except Exception:
            connection, _broker.connection = getattr(_broker, "connection", None), None
            if connection is not None:
                connection.collect()  # drop the socket without talking to it
            if last_try:
                logger.warning(
                    "Webhook delivery %s not queued (broker unavailable); the sweep will send it",
                    delivery_id,
                    exc_info=True,
                )


# An ordered lane needs one queued task, not one per event: the first event of a burst marks
# the lane and is queued; the ones stored while the mark holds are left to that task, which
# clears the mark when it ends and then looks at the lane once more (webhooks.attempts). A
# mark whose task died expires; the sweep then queues what it held back.
LANE_MARK = "yesapp:webhooks:lane:{config_id}:{session_id}"
LANE_MARK_TTL = 60


def nudge_lane(delivery_id: int, *, config_id: int, session_id: Any, countdown: float = 0) -> None:
    """Queues the delivery of an ordered lane unless a task for that lane is already coming."""
    key = LANE_MARK.format(config_id=config_id, session_id=session_id)
    try:
        first = get_redis().set(key, delivery_id, nx=True, ex=LANE_MARK_TTL)
    except RedisError:
        first = True  # unknown: queue it (nudge_delivery says so if the broker is down)
    if first:
        nudge_delivery(delivery_id, countdown=countdown)


def lane_mark_clear(*, config_id: int, session_id: Any) -> None:
    """Lets the next event of the lane be queued again (the caller then looks at the lane)."""
    with contextlib.suppress(RedisError):
        get_redis().delete(LANE_MARK.format(config_id=config_id, session_id=session_id))
