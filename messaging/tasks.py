"""Celery tasks of the messaging app: thin, take ids, safe to run twice."""

from celery import shared_task

from messaging import media_url


@shared_task(name="messaging.tasks.fetch_message_media", ignore_result=True)
def fetch_message_media(message_id: str) -> str:
    """Fetches a pending message's media URL (on the `default` queue, never in a web request)."""
    return media_url.message_fetch_media(message_id=message_id)


@shared_task(name="messaging.tasks.sweep_pending_media", ignore_result=True)
def sweep_pending_media() -> int:
    return media_url.message_media_fetch_sweep()
