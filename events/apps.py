from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "events"
    verbose_name = "Event log"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from events.log import log_domain_event
        from yesapp.events import domain_event

        domain_event.connect(log_domain_event, dispatch_uid="events.log")
