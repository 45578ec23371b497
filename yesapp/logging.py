"""JSON log lines carrying the request id of the request (or Celery task) that wrote them."""

import contextvars
import logging
from datetime import UTC, datetime

from pythonjsonlogger.json import JsonFormatter as _BaseJsonFormatter

# Set by RequestIdMiddleware for the life of one request, and to the task id while a Celery
# task runs; "-" outside both.
request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")

# Set for the life of a session's actor thread, so every line written on its behalf (engine,
# messaging, webhooks) carries the session id without each call passing it.
session_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("session_id", default=None)

# One token per running task id, so postrun restores what prerun replaced (threads pool included).
_task_tokens: dict[str, contextvars.Token] = {}


class RequestIdFilter(logging.Filter):
    """Puts the current request id on every record, so each line can be traced to its request."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            # django.request logs 4xx/5xx after the middleware has finished; its record
            # carries the request, which carries the id.
            request_id = getattr(getattr(record, "request", None), "request_id", None)
            record.request_id = request_id or request_id_var.get()
        if not hasattr(record, "session_id") and (session_id := session_id_var.get()):
            record.session_id = session_id
        return True


class JsonFormatter(_BaseJsonFormatter):
    """One JSON object a line: timestamp, level, logger, message, request_id and any extras."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("fmt", "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s")
        kwargs.setdefault("rename_fields", {"asctime": "timestamp", "levelname": "level", "name": "logger"})
        super().__init__(*args, **kwargs)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        # ISO 8601 in UTC with milliseconds: sortable, unambiguous across servers.
        moment = datetime.fromtimestamp(record.created, tz=UTC)
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def task_started(task_id: str | None = None, **_) -> None:
    """Celery `task_prerun`: log lines written by a task carry its task id as request id."""
    if task_id:
        _task_tokens[task_id] = request_id_var.set(task_id)


def task_finished(task_id: str | None = None, **_) -> None:
    """Celery `task_postrun`: the worker thread goes back to "no request"."""
    token = _task_tokens.pop(task_id, None) if task_id else None
    if token is not None:
        try:
            request_id_var.reset(token)
        except ValueError:  # set in another context (should not happen); just clear it
            request_id_var.set("-")
