"""A WhatsApp session: one linked number, run by one Chromium on one engine node."""

import uuid

from django.db import models


class SessionStatus(models.TextChoices):
    """What the engine observes. Transitions go through `services.session_set_status`."""

    STARTING = "starting", "Starting"
    QR = "qr", "Waiting for a scan"
    CONNECTED = "connected", "Connected"
    DISCONNECTED = "disconnected", "Disconnected (reconnecting)"
    STOPPED = "stopped", "Stopped"
    FAILED = "failed", "Failed"


class DesiredState(models.TextChoices):
    """What the user asked for; engine nodes reconcile the observed status towards it."""

    RUNNING = "running", "Running"
    STOPPED = "stopped", "Stopped"


# Which status may follow which. Anything may fail or stop; the rest follows the page.
ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    SessionStatus.STOPPED: {SessionStatus.STARTING},
    SessionStatus.STARTING: {SessionStatus.QR, SessionStatus.CONNECTED, SessionStatus.DISCONNECTED},
    SessionStatus.QR: {SessionStatus.CONNECTED, SessionStatus.STARTING, SessionStatus.DISCONNECTED},
    SessionStatus.CONNECTED: {SessionStatus.DISCONNECTED, SessionStatus.QR, SessionStatus.STARTING},
    SessionStatus.DISCONNECTED: {SessionStatus.CONNECTED, SessionStatus.QR, SessionStatus.STARTING},
    SessionStatus.FAILED: {SessionStatus.STARTING},
}
for _targets in ALLOWED_TRANSITIONS.values():
    _targets.update({SessionStatus.STOPPED, SessionStatus.FAILED})

# A browser runs for the session, or is being brought up for it.
RUNNING_STATUSES = frozenset(
    {SessionStatus.STARTING, SessionStatus.QR, SessionStatus.CONNECTED, SessionStatus.DISCONNECTED}
)


class Session(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=100, unique=True)
    sandbox = models.BooleanField(
        default=False, help_text="Runs on the built-in sandbox instead of WhatsApp Web."
    )
    status = models.CharField(max_length=20, choices=SessionStatus.choices, default=SessionStatus.STOPPED)
    desired_state = models.CharField(
        max_length=20, choices=DesiredState.choices, default=DesiredState.RUNNING
    )
    phone = models.CharField(max_length=20, blank=True, help_text="Linked number, E.164, once known.")
    wid = models.CharField(max_length=64, blank=True, help_text="WhatsApp id of the linked account.")
    push_name = models.CharField(max_length=100, blank=True)
    qr_raw = models.TextField(blank=True, help_text="Latest QR payload while waiting for a scan.")
    qr_issued_at = models.DateTimeField(null=True, blank=True)
    # The last pairing code asked for while waiting for a scan: {"status": pending|ready|failed,
    # "phone", "code", "error", "requestedAt", "requestId"}; the engine's answer lands here
    # (sessions_app.tasks), so the API need not wait for it. Cleared with the QR.
    pairing_code = models.JSONField(default=dict, blank=True)
    last_error = models.TextField(blank=True)
    engine_node = models.CharField(max_length=200, blank=True, help_text="Engine node that last ran it.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    last_connected_at = models.DateTimeField(null=True, blank=True)
    last_activity_at = models.DateTimeField(null=True, blank=True)
    # Fencing: grows on every takeover; a node whose token is lower no longer owns the session.
    lease_token = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["status"]), models.Index(fields=["desired_state"])]

    def __str__(self) -> str:
        return self.name

    @property
    def is_running(self) -> bool:
        return self.status in RUNNING_STATUSES

    def can_send(self) -> bool:
        return self.status == SessionStatus.CONNECTED

    def can_transition_to(self, status: str) -> bool:
        return status == self.status or status in ALLOWED_TRANSITIONS.get(self.status, set())


class SessionEvent(models.Model):
    """One row per status change: the history behind `session.status` webhooks."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=20, choices=SessionStatus.choices)
    to_status = models.CharField(max_length=20, choices=SessionStatus.choices)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        # A session's history, newest first (the session page, restart metrics).
        indexes = [models.Index(fields=["session", "-created_at"], name="sessionevent_session_created")]

    def __str__(self) -> str:
        return f"{self.session_id}: {self.from_status} → {self.to_status}"


class FailedEventStatus(models.TextChoices):
    QUARANTINED = "quarantined", "Quarantined"
    RETRYING = "retrying", "Retry requested"
    RESOLVED = "resolved", "Resolved by a retry"


class FailedEvent(models.Model):
    """A page event the engine could not handle, kept instead of dropped.

    WhatsApp Web has already delivered it, so it would never come back: it is stored raw
    with the error, can be retried once the cause is fixed, and is pruned after
    FAILED_EVENT_RETENTION_DAYS.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="failed_events")
    name = models.CharField(max_length=100, help_text="The wa-js event name, e.g. chat.new_message.")
    payload = models.TextField(blank=True, help_text="The event's data as JSON, cut at a size bound.")
    truncated = models.BooleanField(default=False, help_text="The payload was too large to keep whole.")
    error = models.TextField()
    status = models.CharField(
        max_length=20, choices=FailedEventStatus.choices, default=FailedEventStatus.QUARANTINED
    )
    attempts = models.PositiveIntegerField(default=1)
    page_at = models.DateTimeField(null=True, blank=True, help_text="When the event fired in the page.")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["session", "status"])]

    def __str__(self) -> str:
        return f"{self.name} of {self.session_id} ({self.status})"


class ProfileSnapshot(models.Model):
    """What WhatsApp Web needs to stay logged in (IndexedDB, Local Storage, cookies), taken from
    the session's browser profile, compressed and encrypted, so any engine node can run the
    session without a shared disk (sessions_app/profile_snapshots.py)."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="profile_snapshots")
    data = models.BinaryField(
        blank=True, default=b"", help_text="A gzipped tar of the profile's login parts, encrypted (Fernet)."
    )
    # PROFILE_SNAPSHOT_STORE=storage: the same bytes in the file storage (an S3 bucket), `data` empty.
    stored_name = models.CharField(max_length=255, blank=True, help_text="Its name in the file storage.")
    size = models.PositiveBigIntegerField(help_text="Bytes stored (compressed and encrypted).")
    files = models.PositiveIntegerField(default=0)
    took_ms = models.PositiveIntegerField(default=0, help_text="Time to read, pack and encrypt.")
    node = models.CharField(max_length=200, blank=True, help_text="Engine node that took it.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["session", "-id"], name="sessions_snapshot_idx")]

    def __str__(self) -> str:
        return f"{self.session_id} snapshot #{self.pk} ({self.size} bytes)"
