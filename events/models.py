"""The event log: every event YesApp emits, once, in the order it was committed.

Webhook deliveries are made from its entries and `GET /api/v1/events` (and its stream) read
it, so a webhook receiver and a stream client see the same events with the same bodies.
"""

from django.db import models


class Event(models.Model):
    """One emitted event. `id` is its position in the log: it only grows, and an entry is
    visible to readers only after every entry with a smaller id (events/log.py says how)."""

    id = models.BigAutoField(primary_key=True)
    session = models.ForeignKey("sessions_app.Session", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=50, help_text="The event's name, e.g. message.received.")
    # The exact JSON text webhooks POST and the stream sends as `data:`, built once.
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            # A session's events in log order (the `session` filter, and keys limited to sessions).
            models.Index(fields=["session", "id"], name="events_session_idx"),
            models.Index(fields=["created_at"], name="events_created_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.id} {self.name}"


class EventLogHorizon(models.Model):
    """One row: the highest id pruning has deleted. A reader asking to resume from below it has
    missed events it can no longer get, and is told so instead of silently skipping them."""

    pruned_through = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"pruned through #{self.pruned_through}"
