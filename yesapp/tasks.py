"""Cross-cutting Celery tasks."""

from celery import shared_task
from django.db import connection


@shared_task(name="yesapp.tasks.ping")
def ping() -> dict:
    """Proves a worker consumes a queue and reaches the database (used by diagnostics)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {"pong": True, "database": connection.vendor}
