"""Celery tasks of the event log: thin, safe to run twice."""

from celery import shared_task

from events.log import events_prune
from yesapp.db_retry import retry_transient_db


@shared_task(name="events.tasks.prune_events", ignore_result=True)
def prune_events() -> int:
    """Hourly (beat): entries past EVENT_RETENTION_DAYS."""
    return retry_transient_db(events_prune, what="pruning the event log", deadline=60)
