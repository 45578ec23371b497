"""Queueing a delivery's attempt on Celery: a nudge, which may be lost. The row is the truth,
and the outbox's sweep finds a delivery whose nudge never arrived."""

import logging
import threading

from celery import current_app

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


def nudge_delivery(delivery_id: int, *, countdown: float = 0) -> None:
    """Queues one attempt of the delivery after `countdown` seconds; logs instead of raising."""
    from webhooks.tasks import deliver_webhook

    # Twice: a kept connection may have died with a Redis restart; a fresh one tells the truth.
    for last_try in (False, True):
        try:
            deliver_webhook.apply_async(
                (delivery_id,), countdown=countdown or None, retry=False, connection=_broker_connection()
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
