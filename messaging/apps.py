from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "messaging"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from messaging import engine_handlers, metrics, signals  # noqa: F401 - signals connects its receivers
        from yesapp.metrics import register_collector

        engine_handlers.register()
        register_collector(metrics.messages_by_status)
        register_collector(metrics.session_queue_depths)
