from django.apps import AppConfig


class SessionsConfig(AppConfig):
    name = "sessions_app"
    verbose_name = "WhatsApp sessions"
    default_auto_field = "django.db.models.BigAutoField"
