"""Celery tasks of the webhooks queue: thin, take ids, safe to run twice."""

from celery import shared_task

from webhooks import services


@shared_task(name="webhooks.tasks.deliver_webhook", ignore_result=True)
def deliver_webhook(delivery_id: int) -> None:
    """One attempt of one delivery; retries are queued by the service with a countdown."""
    services.webhook_delivery_attempt(delivery_id=delivery_id)


@shared_task(name="webhooks.tasks.sweep_webhook_deliveries", ignore_result=True)
def sweep_webhook_deliveries() -> int:
    return services.webhook_deliveries_sweep()


@shared_task(name="webhooks.tasks.prune_webhook_deliveries", ignore_result=True)
def prune_webhook_deliveries() -> int:
    return services.webhook_deliveries_prune()
