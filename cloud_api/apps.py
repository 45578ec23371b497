from django.apps import AppConfig


class CloudApiConfig(AppConfig):
    """A WhatsApp Cloud API compatible facade over YesApp's own services (docs/COMPATIBILITY.md)."""

    name = "cloud_api"
    verbose_name = "Cloud API compatibility"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from cloud_api import signals  # noqa: F401 - connects its receivers
        from cloud_api.webhook_format import CLOUD_FORMAT
        from webhooks.formats import register_webhook_format

        register_webhook_format(CLOUD_FORMAT)
