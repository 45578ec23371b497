"""JSON log lines carrying the request id of the request (or task) that wrote them."""

import contextvars

from pythonjsonlogger.json import JsonFormatter as _BaseJsonFormatter

# Set by RequestIdMiddleware for the life of one request; "-" outside any request.
request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


class RequestIdFilter:
    """Puts the current request id on every record, so each line can be traced to its request."""

    def filter(self, record) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        return True


class JsonFormatter(_BaseJsonFormatter):
    """One JSON object a line: timestamp, level, logger, message, request_id and any extras."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("fmt", "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s")
        kwargs.setdefault(
            "rename_fields", {"asctime": "timestamp", "levelname": "level", "name": "logger"}
        )
        kwargs.setdefault("datefmt", "%Y-%m-%dT%H:%M:%S%z")
        super().__init__(*args, **kwargs)
