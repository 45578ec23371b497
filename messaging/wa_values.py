"""Values of wa-js page events read defensively: an odd or missing value gives an empty one
(the caller decides whether that makes the event malformed), never an exception.
Used by messaging.inbound and messaging.inbound_actions."""

from __future__ import annotations

from datetime import UTC, datetime

# WhatsApp sends unix seconds; a value past this is in milliseconds (year 5138 in seconds).
_MILLISECONDS_FROM = 1e11


def serialized_id(value) -> str:
    """A Wid or MsgKey as the bridge sends it: a string, or an object with `_serialized`."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        inner = value.get("_serialized")
        return inner if isinstance(inner, str) else ""
    return ""


def str_or_empty(value) -> str:
    return value if isinstance(value, str) else ""


def wa_time(value) -> datetime | None:
    """A wa-js `t` (unix seconds; milliseconds tolerated) as a datetime, None if unusable."""
    try:
        seconds = float(value)
        if seconds > _MILLISECONDS_FROM:
            seconds /= 1000
        return datetime.fromtimestamp(seconds, tz=UTC) if seconds > 0 else None
    except (TypeError, ValueError, OverflowError, OSError):
        return None
