"""Fixtures shared by every app's tests: keys, API clients, Redis, a real Celery worker."""

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from rest_framework.test import APIClient

from yesapp.apikeys import apikey_create
from yesapp.redis import get_redis

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def raw_api_key(db) -> str:
    _, raw_key = apikey_create(name="test")
    return raw_key


@pytest.fixture
def api(raw_api_key) -> APIClient:
    """An API client that sends a valid admin key on every request."""
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=raw_api_key)
    return client


@pytest.fixture
def anon_api() -> APIClient:
    return APIClient()


@pytest.fixture(autouse=True)
def clean_redis() -> Iterator[None]:
    """Each test starts with an empty test Redis database (DB 15 unless REDIS_URL says otherwise)."""
    # Tests that don't need Redis still run when it is down.
    with contextlib.suppress(Exception):
        get_redis().flushdb()
    yield


def database_url_for_children() -> str:
    """A DATABASE_URL that points child processes at the test database this run created."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def child_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url_for_children(),
        DATA_DIR=str(settings.DATA_DIR),
        REDIS_URL=settings.REDIS_URL,
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


class WorkerProcess:
    """A real `celery worker` process, started and stopped by a test."""

    def __init__(self, *, queues: str, name: str, pool: str = "threads", concurrency: int = 4, **env: str):
        self.queues, self.name, self.pool, self.concurrency, self.env = queues, name, pool, concurrency, env
        self.log_path = Path(settings.DATA_DIR) / "logs" / f"worker-{name}.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> "WorkerProcess":
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "yesapp",
                "worker",
                "-n",
                f"{self.name}@%h",
                "-Q",
                self.queues,
                "-P",
                self.pool,
                "-c",
                str(self.concurrency),
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=ROOT,
            env=child_env(**self.env),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def wait_ready(self, timeout: float = 30) -> None:
        from yesapp.celery import app

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            replies = app.control.ping(timeout=0.5) or []
            if any(self.name in list(reply)[0] for reply in replies):
                return
            if self.proc.poll() is not None:
                break
        raise RuntimeError(f"worker {self.name} did not start; see {self.log_path}:\n{self.tail()}")

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return ""

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, sig)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def kill(self) -> None:
        self.stop(signal.SIGKILL)


@pytest.fixture
def start_worker(transactional_db) -> Iterator:
    """Starts real Celery workers on the test database; stops them after the test."""
    workers: list[WorkerProcess] = []

    def start(queues: str = "default,webhooks", name: str = "test", **kwargs) -> WorkerProcess:
        worker = WorkerProcess(queues=queues, name=name, **kwargs).start()
        workers.append(worker)
        worker.wait_ready()
        return worker

    yield start
    for worker in workers:
        worker.stop()


@pytest.fixture
def engine_worker(start_worker, live_server):
    """Starts real engine workers (Celery + session host) whose browsers reach this test's
    live server, where the sandbox page is served: `engine_worker("engine-a", **env)`."""
    from sessions_app.tests.helpers import kill_browsers_under

    workers = []

    def start(name: str = "engine-a", **env):
        env.setdefault("ENGINE_SCAN_INTERVAL", "0.5")
        env.setdefault("ENGINE_LEASE_TTL", "6")
        workers.append(start_worker(queues="engine", name=name, INTERNAL_BASE_URL=live_server.url, **env))
        return workers[-1]

    yield start
    for worker in workers:  # workers close their browsers first; then any orphans go
        worker.stop()
    kill_browsers_under(Path(settings.SESSIONS_DIR))
