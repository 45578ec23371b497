"""Webhook endpoints, the outbox of deliveries, and one row per delivery attempt.

A `WebhookDelivery` is written in the same transaction as the domain event that caused it
(the outbox), with the exact JSON body it will send; Celery only nudges delivery, so a
lost task delays a webhook but never loses it.
"""

import uuid

from django.db import models
from django.db.models import Q

from webhooks.formats import default_event_names
from yesapp.events import OPT_IN_EVENTS


class WebhookSource(models.TextChoices):
    API = "api", "Per session (API)"
    # The single default endpoint from WEBHOOK_URL; its secret stays in the environment.
    ENV = "env", "Default from the environment"


class WebhookConfig(models.Model):
    """One place a session's events go; a session may have several. The `env` row serves every
    session without one of its own."""

    # The public id (`/sessions/{id}/webhooks/{webhookId}`).
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    session = models.ForeignKey(
        "sessions_app.Session", on_delete=models.CASCADE, null=True, blank=True, related_name="webhooks"
    )
    source = models.CharField(max_length=10, choices=WebhookSource.choices, default=WebhookSource.API)
    url = models.URLField(max_length=2000)
    # Empty means every event, including ones added later.
    events = models.JSONField(default=list, blank=True)
    # The HMAC key has to be readable to sign with; it is never shown again after creation.
    secret = models.CharField(max_length=200, blank=True)
    headers = models.JSONField(
        default=dict, blank=True, help_text="Extra static headers sent to the receiver."
    )
    ordered = models.BooleanField(
        default=True, help_text="Deliver one session's events one at a time, in order."
    )
    # What the receiver is sent: YesApp's events, or a facade's (webhooks/formats.py).
    format = models.CharField(max_length=20, default="yesapp")
    # The format's own settings (a Cloud API verify token, ...), validated by the format.
    options = models.JSONField(default=dict, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "webhook"
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source"], condition=Q(source="env"), name="webhooks_one_env_config"
            ),
        ]

    def __str__(self) -> str:
        owner = self.session.name if self.session_id else "default"
        return f"{owner} → {self.url}"

    @property
    def event_list(self) -> list[str]:
        """What it is sent, in its format's names: every event but the opt-in ones when unset."""
        return list(self.events) if self.events else default_event_names(self.format)

    def wants(self, event: str) -> bool:
        """No list means every event but the opt-in ones (`chat.presence`), which must be named."""
        return event in self.events if self.events else event not in OPT_IN_EVENTS


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"  # waiting for its first attempt or a retry
    SENDING = "sending", "Sending"  # claimed by a worker; `claimed_until` bounds the claim
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"  # permanent error or schedule exhausted; can be retried by hand


OPEN_STATUSES = (DeliveryStatus.PENDING, DeliveryStatus.SENDING)


class WebhookDelivery(models.Model):
    """One event for one endpoint. `uuid` is the `X-YesApp-Delivery` id receivers dedupe on."""

    # The integer id orders a session's deliveries; the uuid is what clients see.
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    config = models.ForeignKey(WebhookConfig, on_delete=models.CASCADE, related_name="deliveries")
    session = models.ForeignKey(
        "sessions_app.Session", on_delete=models.CASCADE, related_name="webhook_deliveries"
    )
    event = models.CharField(max_length=50)
    # The event log entry this delivers (null once pruned: the log keeps EVENT_RETENTION_DAYS).
    log_entry = models.ForeignKey(
        "events.Event", on_delete=models.SET_NULL, null=True, blank=True, related_name="webhook_deliveries"
    )
    # The log entry's exact JSON text, sent on every attempt, so retries carry identical bytes.
    body = models.TextField()
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0, help_text="Attempts made, manual retries included.")
    round_attempts = models.PositiveIntegerField(
        default=0, help_text="Attempts in the current run of the retry schedule (a manual retry restarts it)."
    )
    next_attempt_at = models.DateTimeField(help_text="When the next attempt is due (pending only).")
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(
        null=True, blank=True, help_text="When it succeeded or finally failed."
    )

    class Meta:
        verbose_name_plural = "webhook deliveries"
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="webhooks_due_idx"),
            models.Index(fields=["config", "session", "status"], name="webhooks_lane_idx"),
            models.Index(fields=["session", "-id"], name="webhooks_session_idx"),
            models.Index(fields=["created_at"], name="webhooks_created_idx"),
            # The delivery list's status filter, and the stats over a session's last day.
            models.Index(fields=["session", "status", "-id"], name="webhooks_session_status_idx"),
            models.Index(fields=["session", "created_at"], name="webhooks_session_created_idx"),
            # The per-status metric.
            models.Index(fields=["status"], name="webhooks_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.uuid} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class AttemptOutcome(models.TextChoices):
    SUCCESS = "success", "Success"
    RETRY = "retry", "Failed, will retry"
    FAILED = "failed", "Failed"


class WebhookDeliveryAttempt(models.Model):
    """One HTTP request to the receiver, kept for diagnosis until the retention prunes it."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()
    url = models.URLField(max_length=2000)
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(default=0)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    response_excerpt = models.TextField(blank=True)
    outcome = models.CharField(max_length=10, choices=AttemptOutcome.choices)

    class Meta:
        ordering = ["delivery_id", "number"]
        indexes = [models.Index(fields=["delivery", "number"], name="webhooks_attempt_idx")]

    def __str__(self) -> str:
        return f"#{self.number} {self.status_code or self.error[:40]}"
