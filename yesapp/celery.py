"""The Celery application. Settings are the CELERY_* names in yesapp/settings.py."""

import os

from celery import Celery
from celery.signals import task_postrun, task_prerun

from yesapp.logging import task_finished, task_started

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yesapp.settings")

app = Celery("yesapp")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Log lines written while a task runs carry its task id in `request_id`.
task_prerun.connect(task_started, weak=False)
task_postrun.connect(task_finished, weak=False)

# Engine workers (those consuming the `engine` queue) host WhatsApp sessions.
from sessions_app.engine.worker import EngineHostStep  # noqa: E402

app.steps["worker"].add(EngineHostStep)
