"""The gunicorn worker `scripts/serve.sh web` runs: uvicorn serving `yesapp.asgi`, so the event
stream (events/stream.py) holds its connections on the event loop instead of a thread each.

Two of uvicorn's defaults are changed to keep the web server's behaviour as it was under
gunicorn's own workers: X-Forwarded-For is left to the app (TRUST_X_FORWARDED_FOR,
yesapp/authentication.py) instead of being rewritten into the client address, and a stop
does not wait for streams that never end: after GRACEFUL_SECONDS they are cut, and their
clients resume with `Last-Event-ID` on the next worker.
"""

from uvicorn_worker import UvicornWorker

GRACEFUL_SECONDS = 5


class WebWorker(UvicornWorker):
    CONFIG_KWARGS = {
        **UvicornWorker.CONFIG_KWARGS,
        "proxy_headers": False,
        "timeout_graceful_shutdown": GRACEFUL_SECONDS,
    }
