from django.apps import AppConfig
from django.core import checks


class WebhooksConfig(AppConfig):
    name = "webhooks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from events.interest import interest_check_register
        from events.log import event_logged
        from sessions_app.create_options import register_session_create_option
        from webhooks import metrics
        from webhooks.outbox import webhooks_want
        from webhooks.receivers import store_event_for_webhooks
        from webhooks.session_create_option import WEBHOOK_AT_SESSION_CREATE
        from yesapp.metrics import register_collector

        event_logged.connect(store_event_for_webhooks, dispatch_uid="webhooks.outbox")
        # Opt-in events (chat.presence) are logged only when a webhook or a stream asks for them.
        interest_check_register(webhooks_want)
        checks.register(check_webhook_settings)
        register_session_create_option(WEBHOOK_AT_SESSION_CREATE)
        register_collector(metrics.webhook_deliveries_by_status)
        register_collector(metrics.webhook_attempts, reads_redis=True)


def check_webhook_settings(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """A bad WEBHOOK_RETRY_DELAYS would otherwise surface only when a delivery fails."""
    from django.conf import settings

    from webhooks.policy import parse_delays

    try:
        parse_delays(settings.WEBHOOK_RETRY_DELAYS)
    except ValueError as exc:
        return [checks.Error(str(exc), id="webhooks.E001")]
    return []
