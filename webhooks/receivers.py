"""The outbox writer: every domain event becomes a stored delivery in the emitter's transaction."""

from typing import Any

from webhooks.outbox import webhook_deliveries_record


def store_event_for_webhooks(
    sender, *, event: str, session_id: Any, payload: dict[str, Any], **kwargs
) -> None:
    webhook_deliveries_record(event=event, session_id=session_id, payload=payload)
