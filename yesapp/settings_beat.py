"""The periodic work celery beat runs (one `beat` process per deployment). `expires` keeps
frequent sweeps from piling up while no worker runs; the hourly prunes need no bound."""

HOURLY = 3600.0


def _every(seconds: float, task: str) -> dict:
    return {"task": task, "schedule": seconds, "options": {"expires": seconds}}


def _hourly(task: str) -> dict:
    return {"task": task, "schedule": HOURLY}


def beat_schedule(*, webhook_sweep_interval: float) -> dict:
    return {
        "webhooks-sweep": _every(webhook_sweep_interval, "webhooks.tasks.sweep_webhook_deliveries"),
        "webhooks-prune": _hourly("webhooks.tasks.prune_webhook_deliveries"),
        "events-prune": _hourly("events.tasks.prune_events"),
        "failed-events-prune": _hourly("sessions_app.tasks.prune_failed_events"),
        # Pending messages whose media fetch task was lost are handed out again (messaging.media_url).
        "messaging-media-fetch-sweep": _every(30.0, "messaging.tasks.sweep_pending_media"),
        "messaging-stuck-sends": _every(60.0, "messaging.tasks.fail_stuck_sends"),
        "storage-prune": _hourly("messaging.tasks.prune_storage"),
        "cloud-uploads-prune": _hourly("cloud_api.tasks.prune_uploads"),
    }
