"""Celery tasks of the Cloud API facade: thin, safe to run twice."""

from celery import shared_task

from cloud_api.media import uploads_prune


@shared_task(name="cloud_api.tasks.prune_uploads", ignore_result=True)
def prune_uploads() -> int:
    """Beat, hourly: uploads older than MEDIA_RETENTION_DAYS go, as received media does."""
    return uploads_prune()
