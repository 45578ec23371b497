from django.apps import AppConfig


class SessionsConfig(AppConfig):
    name = "sessions_app"
    verbose_name = "WhatsApp sessions"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from sessions_app import metrics, profile_snapshots  # noqa: F401 (its post_delete receiver)
        from sessions_app.health import ENGINE_READINESS
        from yesapp.health import register_readiness_check
        from yesapp.metrics import register_collector

        register_readiness_check(ENGINE_READINESS)
        register_collector(metrics.sessions_by_status)
        register_collector(metrics.engine_restarts)
        register_collector(metrics.engine_recycles)
        register_collector(metrics.wajs_contract_broken)
        register_collector(metrics.engine_nodes, reads_redis=True)
        register_collector(metrics.browser_memory, reads_redis=True)
