from django.apps import AppConfig


class YesAppConfig(AppConfig):
    name = "yesapp"
    verbose_name = "YesApp"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the X-API-Key security scheme with drf-spectacular.
        from yesapp import schema  # noqa: F401
