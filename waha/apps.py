from django.apps import AppConfig


class WahaConfig(AppConfig):
    """WAHA-compatible endpoints and webhooks over YesApp's own services (docs/COMPATIBILITY.md)."""

    name = "waha"
    verbose_name = "WAHA compatibility"
    default_auto_field = "django.db.models.BigAutoField"
