"""The JSON body of an event: built once when it is logged, then sent as is by every webhook
attempt and every stream, so all of them carry identical bytes."""

import json
from datetime import UTC, date, datetime
from typing import Any

from django.conf import settings


def media_url(value: Any, media_id: Any = None) -> str | None:
    """An absolute `mediaUrl`: relative paths and bare media ids are resolved against PUBLIC_URL."""
    if value:
        text = str(value)
        return settings.PUBLIC_URL + text if text.startswith("/") else text
    if media_id:
        return f"{settings.PUBLIC_URL}/api/v1/media/{media_id}"
    return None


def _json_default(value: Any) -> str:
    # UUIDs, datetimes and the like become text instead of failing the emitter's transaction.
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def build_body(*, event: str, session_id: Any, payload: dict[str, Any]) -> str:
    """`{"event", "sessionId", ...payload, "timestamp"}` as compact JSON text.

    The emitting app's keys win; `event`, `sessionId` and `timestamp` (ISO 8601 UTC, like
    the messages API) are added where missing. Message payloads get an absolute `mediaUrl` (or null).
    """
    body: dict[str, Any] = {"event": event, "sessionId": str(session_id)}
    body.update(payload)
    body.setdefault("timestamp", datetime.now(UTC).isoformat().replace("+00:00", "Z"))
    if event.startswith("message."):
        body["mediaUrl"] = media_url(body.get("mediaUrl"), body.get("mediaId"))
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=_json_default)
