from django.apps import AppConfig


class WahaConfig(AppConfig):
    """WAHA-compatible endpoints and webhooks over YesApp's own services (docs/COMPATIBILITY.md)."""

    name = "waha"
    verbose_name = "WAHA compatibility"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from waha.webhook_format import WAHA_FORMAT
        from webhooks.formats import register_webhook_format

        register_webhook_format(WAHA_FORMAT)
