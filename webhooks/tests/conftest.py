"""A real HTTP receiver for webhook tests: records every request, answers from a script."""

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import transaction

from sessions_app.models import Session
from yesapp.events import MESSAGE_RECEIVED, emit


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic() when the request arrived
    answered: int = 0
    client: tuple = ()  # the client's (address, port): one per TCP connection

    @property
    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Answer:
    status: int = 200
    delay: float = 0.0
    body: bytes = b"ok"
    close: bool = False  # answer with Connection: close and close it


@dataclass
class Receiver:
    """Answers requests to a path with the next scripted `Answer`, then with `default`."""

    port: int = 0
    requests: list[Received] = field(default_factory=list)
    scripts: dict[str, list[Answer]] = field(default_factory=dict)
    default: Answer = field(default_factory=Answer)
    server: ThreadingHTTPServer | None = None
    changed: threading.Condition = field(default_factory=threading.Condition)

    def url(self, path: str = "/hook", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def script(self, path: str, *answers: Answer) -> None:
        with self.changed:
            self.scripts.setdefault(path, []).extend(answers)

    def start(self) -> "Receiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, like real receivers

            def do_POST(self):
                arrived = time.monotonic()
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.changed:
                    queue = receiver.scripts.get(self.path) or []
                    answer = queue.pop(0) if queue else receiver.default
                    record = Received(
                        self.path, dict(self.headers), body, arrived, answer.status, self.client_address
                    )
                    receiver.requests.append(record)
                    receiver.changed.notify_all()
                if answer.delay:
                    time.sleep(answer.delay)
                try:
                    self.send_response(answer.status)
                    self.send_header("Content-Length", str(len(answer.body)))
                    if answer.close:
                        self.send_header("Connection", "close")
                        self.close_connection = True
                    self.end_headers()
                    self.wfile.write(answer.body)
                except OSError:  # the client gave up waiting (a timeout test)
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def connections(self) -> int:
        """How many TCP connections the requests came over."""
        with self.changed:
            return len({r.client for r in self.requests})

    def received(self, path: str | None = None) -> list[Received]:
        with self.changed:
            return [r for r in self.requests if path is None or r.path == path]

    def wait_for(self, count: int, *, path: str | None = None, timeout: float = 15) -> list[Received]:
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                matching = [r for r in self.requests if path is None or r.path == path]
                if len(matching) >= count:
                    return matching
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"expected {count} request(s) to {path or 'any path'}, got {len(matching)}"
                    )
                self.changed.wait(remaining)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def make_session(db):
    def make(name: str = "shop") -> Session:
        return Session.objects.create(name=name, status="connected")

    return make


def emit_message(session: Session, message_id: str, text: str = "Hello!") -> None:
    """What messaging does when a message arrives: emit inside its transaction."""
    with transaction.atomic():
        emit(
            MESSAGE_RECEIVED,
            session_id=session.pk,
            payload={
                "messageId": message_id,
                "from": "33612345678@c.us",
                "to": "33698765432@c.us",
                "text": text,
                "type": "chat",
                "timestamp": "2026-01-05T10:02:41Z",
                "mediaUrl": None,
                "status": "received",
            },
        )


def wait_until(predicate, *, timeout: float = 15, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")
