"""Celery tasks of the messaging app: thin, take ids, safe to run twice."""

from celery import shared_task

from messaging import media_url, outbound
from messaging.storage import storage_prune
from yesapp.db_retry import retry_transient_db


@shared_task(name="messaging.tasks.fetch_message_media", ignore_result=True)
def fetch_message_media(message_id: str) -> str:
    """Fetches a pending message's media URL (on the `default` queue, never in a web request)."""
    return media_url.message_fetch_media(message_id=message_id)


@shared_task(name="messaging.tasks.sweep_pending_media", ignore_result=True)
def sweep_pending_media() -> int:
    return media_url.message_media_fetch_sweep()


@shared_task(name="messaging.tasks.fail_stuck_sends", ignore_result=True)
def fail_stuck_sends() -> int:
    """Beat, every minute: no message stays `sending` forever (SENDING_TIMEOUT_SECONDS)."""
    return retry_transient_db(outbound.message_fail_stuck_sends, what="sweeping stuck sends", deadline=30)


@shared_task(name="messaging.tasks.prune_storage", ignore_result=True)
def prune_storage() -> dict[str, int]:
    """Applies MESSAGE_RETENTION_DAYS, MEDIA_RETENTION_DAYS and SESSION_EVENT_RETENTION_DAYS."""
    return storage_prune()
