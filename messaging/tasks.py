"""Celery tasks of the messaging app: thin, safe to run twice."""

from celery import shared_task

from messaging import services
from messaging.storage import storage_prune
from yesapp.db_retry import retry_transient_db


@shared_task(name="messaging.tasks.fail_stuck_sends", ignore_result=True)
def fail_stuck_sends() -> int:
    """Beat, every minute: no message stays `sending` forever (SENDING_TIMEOUT_SECONDS)."""
    return retry_transient_db(services.message_fail_stuck_sends, what="sweeping stuck sends", deadline=30)


@shared_task(name="messaging.tasks.prune_storage", ignore_result=True)
def prune_storage() -> dict[str, int]:
    """Applies MESSAGE_RETENTION_DAYS, MEDIA_RETENTION_DAYS and SESSION_EVENT_RETENTION_DAYS."""
    return storage_prune()
