"""Periodic work of the messaging app (Celery beat)."""

from celery import shared_task

from messaging.storage import storage_prune


@shared_task(name="messaging.tasks.prune_storage", ignore_result=True)
def prune_storage() -> dict[str, int]:
    """Applies MESSAGE_RETENTION_DAYS, MEDIA_RETENTION_DAYS and SESSION_EVENT_RETENTION_DAYS."""
    return storage_prune()
