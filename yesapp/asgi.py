"""The ASGI application `scripts/serve.sh web` serves (gunicorn with uvicorn workers).

Django gives every request a thread of its own for its synchronous parts (middleware, DRF
views) and keeps that thread reserved until the request ends. For the event stream the
request never ends: 500 open streams would park 500 idle threads (about 300 KB each). Its
requests share one thread per process instead (asgiref's `ThreadSensitiveContext` with an
executor of ours, which Django's own context then reuses): their synchronous part is short
(the key, the filters) and the stream itself runs on the event loop.
"""

import os
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import ThreadSensitiveContext
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yesapp.settings")
django_application = get_asgi_application()

# Paths whose requests outlive their synchronous part: they share this one thread.
LONG_LIVED_PATHS = frozenset({"/api/v1/events/stream"})
_long_lived_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="long-lived-requests")


async def application(scope, receive, send):
    if scope["type"] == "http" and scope["path"] in LONG_LIVED_PATHS:
        async with ThreadSensitiveContext(executor=_long_lived_executor):
            return await django_application(scope, receive, send)
    return await django_application(scope, receive, send)
