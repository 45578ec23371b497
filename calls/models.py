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
