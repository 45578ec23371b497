from django.apps import AppConfig


class SandboxConfig(AppConfig):
    name = "sandbox"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_delete

        from sandbox import engine_handlers
        from sandbox.models import SandboxMessage
        from sandbox.services.messages import sandbox_media_removed

        engine_handlers.register()
        # Files are not rows: when a message goes (a deleted session cascades), its file goes too.
        post_delete.connect(
            lambda sender, instance, **kwargs: sandbox_media_removed(message=instance),
            sender=SandboxMessage,
            weak=False,
            dispatch_uid="sandbox_media_removed",
        )
