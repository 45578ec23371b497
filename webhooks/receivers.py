"""The outbox writer: every entry of the event log becomes a stored delivery in the emitter's transaction."""

from events.models import Event
from webhooks.outbox import webhook_deliveries_record


def store_event_for_webhooks(sender, *, entry: Event, **kwargs) -> None:
    webhook_deliveries_record(entry=entry)
