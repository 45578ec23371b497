"""Fixtures shared by every app's tests: keys, API clients, Redis, a real Celery worker."""

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import kombu.pools
import pytest
from django.conf import settings
from django.db import connection
from rest_framework.test import APIClient

from yesapp.apikeys import apikey_create
from yesapp.redis import get_redis
from yesapp.tests.settings import DEFAULT_TEST_REDIS_URL

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


@pytest.fixture(scope="session")
def openapi_schema() -> Iterator[dict]:
    """The OpenAPI schema drf-spectacular makes without a request (PUBLIC_URL as its server),
    made once per run: a generation takes seconds and a dozen modules read it. Read it, never
    change it: the run fails at its end if a test did."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    made = json.dumps(schema, sort_keys=True)
    yield schema
    assert json.dumps(schema, sort_keys=True) == made, "a test changed the shared openapi_schema"


# Written into the test Redis database by the test run itself: a database that holds keys but
# not this one belongs to someone else (a `make run` pointed at it, another project) and is
# never flushed.
TEST_REDIS_MARKER = "yesapp:test-run:owned"


class ForeignRedisDatabase(Exception):
    pass


# The databases this process has checked: once a database was found to be the run's own, what
# is in it later is the run's too (a test may flush it, and a worker of the test before still
# ending may write into it before the next marker), so a later key without the marker is no
# reason to stop the run.
_claimed_databases: set[str] = set()


def claim_test_redis(client) -> None:
    """Empties the test Redis database, after checking that the test run wrote what is there."""
    url = settings.REDIS_URL
    if url not in _claimed_databases and client.dbsize() and not client.exists(TEST_REDIS_MARKER):
        raise ForeignRedisDatabase(
            f"The test Redis database {settings.REDIS_URL} holds keys that no test run wrote "
            f"({client.dbsize()} keys, no {TEST_REDIS_MARKER!r} marker). Tests flush their database "
            "before every test, so they refuse to use this one. Point TEST_REDIS_URL at an empty "
            f"database (default {DEFAULT_TEST_REDIS_URL}), or empty this one yourself if its "
            "keys are disposable."
        )
    client.flushdb()
    client.set(TEST_REDIS_MARKER, "1")
    _claimed_databases.add(url)


@pytest.fixture(autouse=True)
def clean_redis() -> Iterator[None]:
    """Each test starts with an empty test Redis database (TEST_REDIS_URL, DB 15 by default)."""
    client = get_redis()
    try:
        claim_test_redis(client)
    except ForeignRedisDatabase as exc:
        pytest.exit(str(exc), returncode=3)
    except Exception:  # noqa: S110 - tests that don't need Redis still run when it is down
        pass
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

        # Asked by name, the ping returns as soon as this worker answers, not after its timeout.
        node = f"{self.name}@{socket.gethostname()}"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            replies = app.control.ping(destination=[node], timeout=0.5) or []
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
        if self.proc is None:
            return
        if self.proc.poll() is not None:
            # A test may have killed the worker alone: what it started (a pool child, a
            # browser) must not outlive the test and go on heartbeating into the next one.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
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


# --- A Redis of a test's own, to stop and start at will ---------------------------------------


class PrivateRedis:
    """A redis-server of this test's own on a spare port, to stop and start at will."""

    def __init__(self, tmp: Path):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.dir, self.proc = tmp, None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.proc = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while not _answers(self.port):
            if time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start on port {self.port}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


def _answers(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
        sock.sendall(b"PING\r\n")
        return sock.recv(16).startswith(b"+PONG")
    return False


def point_celery_at(url: str) -> None:
    """This process's Celery producer, control and results follow `url` (their pools and the
    cached backend are dropped; they are made again on first use). Also after a Redis restart:
    pooled connections to the old server are dead."""
    from yesapp.celery import app

    app.conf.broker_url = app.conf.result_backend = url
    kombu.pools.reset()  # closes kombu's shared pools and forgets them: the next use connects anew
    app._pool = None
    app.amqp._producer_pool = None
    app._local.__dict__.pop("backend", None)


@pytest.fixture
def private_redis(tmp_path, settings):
    """The test process (API, Celery producer) and every worker it starts use this Redis."""
    from yesapp.celery import app

    server = PrivateRedis(tmp_path)
    server.start()
    old_url = app.conf.broker_url
    settings.REDIS_URL = settings.CELERY_BROKER_URL = settings.CELERY_RESULT_BACKEND = server.url
    point_celery_at(server.url)
    yield server
    server.stop()
    point_celery_at(old_url)


# --- The database taken away, as a restart, a failover or a long lock does ----------------------

# Worker processes started with PGAPPNAME set to this are the "app" a database blip hits; the
# test process (the contacts and WhatsApp's servers, through the sandbox) keeps its connections.
BLIP_APP_NAME = "yesapp-blip-target"


class DatabaseBlips:
    """PostgreSQL: terminates every connection of the app's processes (pg_terminate_backend),
    as a restart or a failover does; or, `everyone=True`, every other connection to the test
    database, this process's included. SQLite: holds the write lock from another connection
    for a few seconds, longer than the app's SQLITE_BUSY_TIMEOUT, so its writes fail with
    `database is locked`."""

    def __init__(self):
        self.settings = connection.settings_dict
        self.vendor = connection.vendor
        self.count = 0

    def blip(self, *, seconds: float = 3.0, everyone: bool = False) -> int:
        """One blip; returns how many connections were terminated (PostgreSQL)."""
        self.count += 1
        if self.vendor == "sqlite":
            self._hold_sqlite_lock(seconds)
            return 0
        import psycopg

        where = "" if everyone else " AND application_name = %(app)s"
        with psycopg.connect(
            host=self.settings["HOST"] or "127.0.0.1",
            port=self.settings["PORT"] or 5432,
            user=self.settings["USER"],
            password=self.settings["PASSWORD"] or None,
            dbname=self.settings["NAME"],
            autocommit=True,
        ) as conn:
            rows = conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()" + where,
                {"app": BLIP_APP_NAME},
            ).fetchall()
        return len(rows)

    def _hold_sqlite_lock(self, seconds: float) -> None:
        import sqlite3

        conn = sqlite3.connect(self.settings["NAME"], timeout=30, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            time.sleep(seconds)
            conn.execute("ROLLBACK")
        finally:
            conn.close()

    def storm(self, stop, *, every: float = 1.5, seconds: float = 3.0, everyone: bool = False):
        """Blips again and again in a thread until `stop` (a threading.Event) is set."""
        import threading

        def run():
            while not stop.is_set():
                self.blip(seconds=seconds, everyone=everyone)
                stop.wait(every)

        thread = threading.Thread(target=run, name="database-blips", daemon=True)
        thread.start()
        return thread


@pytest.fixture
def database_blips(transactional_db) -> DatabaseBlips:
    return DatabaseBlips()
