"""Cross-cutting models: API keys."""

from django.db import models


class ApiKey(models.Model):
    """A key for the REST API. Only its SHA-256 hash and a short prefix are stored.

    An admin key sees every session and manages keys; any other key sees only the
    sessions listed in `sessions` (others answer 404, so ids don't leak).
    """

    name = models.CharField(max_length=100)
    prefix = models.CharField(
        max_length=12, db_index=True, help_text="First characters of the key, to tell keys apart."
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    is_admin = models.BooleanField(default=True, help_text="Sees all sessions and manages keys.")
    sessions = models.ManyToManyField("sessions_app.Session", blank=True, related_name="api_keys")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    # DRF puts the key on request.user; these make it behave like an authenticated principal.
    is_authenticated = True
    is_anonymous = False

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
