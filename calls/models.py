"""A session's answer to calls: WhatsApp Web cannot take a call, but it can reject one (and the
caller then hears it declined rather than ringing out), optionally followed by a text."""

from django.db import models

from sessions_app.models import Session


class CallSettings(models.Model):
    session = models.OneToOneField(Session, on_delete=models.CASCADE, related_name="call_settings")
    reject_calls = models.BooleanField(default=False, help_text="Reject every incoming call at once.")
    reject_message = models.TextField(
        blank=True, max_length=1000, help_text="Sent to the caller after a rejected one-to-one call."
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"call settings of {self.session_id}"


class Call(models.Model):
    """A call that rang the session, once per WhatsApp call id: the page may hand the same
    `call.incoming_call` over again after a crash, and it must not be reported (or rejected and
    answered) twice."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="calls")
    call_id = models.CharField(max_length=100)
    caller = models.CharField(max_length=100, help_text="The caller's WhatsApp id.")
    is_video = models.BooleanField(default=False)
    is_group = models.BooleanField(default=False)
    rejected = models.BooleanField(default=False)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["session", "call_id"], name="call_unique_id")]
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"call {self.call_id} from {self.caller}"
