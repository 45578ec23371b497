"""Helpers for tests that run sessions through a real engine worker and the sandbox."""

import os
import signal
import time
from pathlib import Path

from sessions_app.engine.browser_process import profile_dir_for
from sessions_app.models import Session

PHONE = "+33612345678"


def wait_for(predicate, timeout: float = 60, interval: float = 0.1, what: str = "condition"):
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


def browser_pids(session_id) -> list[int]:
    """Chromium processes running on this session's profile."""
    return _pids_with(f"--user-data-dir={profile_dir_for(session_id)}".encode())


def kill_browsers_under(sessions_dir: Path) -> None:
    """Kills browsers left on this run's profiles (orphans of SIGKILLed workers)."""
    for pid in _pids_with(f"--user-data-dir={sessions_dir}".encode()):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def _pids_with(marker: bytes) -> list[int]:
    pids = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if marker in (proc / "cmdline").read_bytes():
                    pids.append(int(proc.name))
            except OSError:
                continue
    return pids


def create_and_link(api, name: str = "flow", phone: str = PHONE) -> Session:
    """Creates a sandbox session over the API, checks its QR, links it, waits for connected."""
    from sessions_app.tests.test_api import decode_qr

    response = api.post("/api/v1/sessions", {"name": name, "sandbox": True}, format="json")
    assert response.status_code == 201, response.content
    session_id = response.json()["id"]
    session = wait_status(session_id, "qr")
    png = api.get(f"/api/v1/sessions/{session_id}/qr", HTTP_ACCEPT="image/png")
    assert png.status_code == 200 and decode_qr(png.content) == session.qr_raw
    response = api.post(f"/api/v1/sandbox/sessions/{session_id}/link", {"phone": phone}, format="json")
    assert response.status_code in (200, 201, 202), response.content
    session = wait_status(session_id, "connected")
    assert session.phone == phone and session.wid == phone.lstrip("+") + "@c.us"
    return session
