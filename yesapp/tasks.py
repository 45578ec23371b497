"""Cross-cutting Celery tasks."""

import logging

from celery import shared_task
from django.db import connection

logger = logging.getLogger(__name__)


@shared_task(name="yesapp.tasks.ping")
def ping() -> dict:
    """Proves a worker consumes a queue and reaches the database (used by diagnostics)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    logger.info("pong", extra={"database": connection.vendor})
    return {"pong": True, "database": connection.vendor}
