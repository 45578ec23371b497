"""Celery tasks of the webhooks queue: thin, take ids, safe to run twice."""

from celery import shared_task

from webhooks import attempts, outbox
from yesapp.db_retry import retry_transient_db


@shared_task(name="webhooks.tasks.deliver_webhook", ignore_result=True)
def deliver_webhook(delivery_id: int) -> None:
    """The delivery's attempt, and its lane's next ones for a turn; retries are queued with a countdown."""
    attempts.webhook_lane_drain(delivery_id=delivery_id)


@shared_task(name="webhooks.tasks.sweep_webhook_deliveries", ignore_result=True)
def sweep_webhook_deliveries() -> int:
    # A database blip is waited out (briefly: beat runs the sweep again in a few seconds).
    return retry_transient_db(
        outbox.webhook_deliveries_sweep, what="sweeping webhook deliveries", deadline=10
    )


@shared_task(name="webhooks.tasks.prune_webhook_deliveries", ignore_result=True)
def prune_webhook_deliveries() -> int:
    return retry_transient_db(outbox.webhook_deliveries_prune, what="pruning webhook deliveries", deadline=60)
