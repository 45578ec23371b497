from django.apps import AppConfig


class YesAppConfig(AppConfig):
    name = "yesapp"
    verbose_name = "YesApp"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the X-API-Key security scheme with drf-spectacular.
        # With FILE_STORAGE=s3, /ready also says whether the bucket answers.
        from django.conf import settings

        from yesapp import schema  # noqa: F401

        if settings.FILE_STORAGE == "s3":
            from yesapp.file_storage import file_storage_problem
            from yesapp.health import ReadinessCheck, register_readiness_check

            register_readiness_check(
                ReadinessCheck("storage", file_storage_problem, "storage: the S3 bucket is not answering")
            )
