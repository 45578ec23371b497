import os
import signal
import time
from pathlib import Path

import pytest
from django.conf import settings

from sessions_app.models import Session


@pytest.fixture
def engine_worker(start_worker, live_server):
    """Starts a real engine worker (Celery + session host) whose browsers reach this test's
    live server, where the sandbox page is served. Returns a function: start(name) -> worker."""

    def start(name: str = "engine-a", **env):
        env.setdefault("ENGINE_SCAN_INTERVAL", "0.5")
        env.setdefault("ENGINE_LEASE_TTL", "6")
        return start_worker(queues="engine", name=name, INTERNAL_BASE_URL=live_server.url, **env)

    yield start
    kill_browsers_under(Path(settings.SESSIONS_DIR))


def kill_browsers_under(sessions_dir: Path) -> None:
    """Kills browsers left on this run's profiles (orphans of SIGKILLed workers)."""
    marker = f"--user-data-dir={sessions_dir}".encode()
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if marker in (proc / "cmdline").read_bytes():
                    os.kill(int(proc.name), signal.SIGKILL)
            except OSError:
                continue


def wait_for(predicate, timeout: float = 60, interval: float = 0.2, what: str = "condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}; last value: {last!r}")


def wait_status(session_id, status: str, timeout: float = 60) -> Session:
    def check():
        session = Session.objects.get(pk=session_id)
        return session if session.status == status else None

    try:
        return wait_for(check, timeout, what=f"status {status}")
    except AssertionError:
        session = Session.objects.get(pk=session_id)
        raise AssertionError(
            f"session never reached {status}: it is {session.status} ({session.last_error!r}); history: "
            + "; ".join(f"{e.from_status}->{e.to_status} {e.reason}" for e in session.events.order_by("id"))
        ) from None
