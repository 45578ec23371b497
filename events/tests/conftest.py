"""Fixtures of the event log's tests: sessions, emitted events, keys of each scope."""

import subprocess
from pathlib import Path

import httpx
import pytest
from django.conf import settings
from django.db import transaction
from rest_framework.test import APIClient

from sessions_app.models import Session
from sessions_app.tests.helpers import wait_for
from yesapp.apikeys import apikey_create
from yesapp.events import MESSAGE_RECEIVED, emit
from yesapp.tests.fixtures import ROOT, child_env
from yesapp.tests.helpers import closed_port, stop_process_group


@pytest.fixture
def make_session(db):
    def make(name: str = "shop") -> Session:
        return Session.objects.create(name=name, status="connected")

    return make


def emit_received(session: Session, text: str, event: str = MESSAGE_RECEIVED) -> None:
    """What messaging does when a message arrives: emit inside its transaction."""
    with transaction.atomic():
        emit(event, session_id=session.pk, payload={"from": "+33612345678", "type": "text", "text": text})


@pytest.fixture
def scoped_key():
    """`scoped_key(session)`: (the plain key, an API client sending it) for a key limited to it."""

    def make(*sessions: Session) -> tuple[str, APIClient]:
        _, raw = apikey_create(name="scoped", session_ids=[s.pk for s in sessions])
        client = APIClient()
        client.credentials(HTTP_X_API_KEY=raw)
        return raw, client

    return make


class WebServer:
    """The web server as `make run` starts it (scripts/serve.sh web: gunicorn with uvicorn
    workers), one worker, on the test database and Redis; a heartbeat every second."""

    def __init__(self):
        self.port = closed_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = Path(settings.DATA_DIR) / "logs" / "events-web.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> "WebServer":
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        env = child_env(PORT=str(self.port), WEB_WORKERS="1", EVENT_STREAM_HEARTBEAT="1", LOG_LEVEL="WARNING")
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [str(ROOT / "scripts" / "serve.sh"), "web"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_for(self._up, timeout=60, what="the web server")
        assert self.proc.poll() is None, self.log_path.read_text(errors="replace")[-2000:]
        return self

    def _up(self) -> bool:
        try:
            return httpx.get(f"{self.url}/health", timeout=1).is_success
        except httpx.HTTPError:
            return self.proc.poll() is not None  # ended: stop waiting, start() says so

    def stop(self) -> None:
        if self.proc is not None:
            stop_process_group(self.proc)


@pytest.fixture
def web_server_process(transactional_db):
    server = WebServer().start()
    yield server
    server.stop()


@pytest.fixture
def web_server(web_server_process) -> str:
    return web_server_process.url
