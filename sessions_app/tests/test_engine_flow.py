"""The whole session path with real parts: API → Celery engine worker → Selenium → real
headless Chromium on the sandbox page → bridge events → database."""

import os
import signal

import pytest

from sessions_app.engine.lease import lease_owner
from sessions_app.engine.memory import browser_memory_of
from sessions_app.models import Session
from sessions_app.tests.helpers import PHONE, browser_pids, create_and_link, wait_for, wait_status

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_link_restart_worker_and_logout(api, engine_worker):
    worker = engine_worker("engine-a")
    session = create_and_link(api)
    assert lease_owner(session.id) == f"engine-a@{os.uname().nodename}"

    # A clean worker restart brings the session back from its profile: no new scan.
    worker.stop()
    assert not browser_pids(session.id), "shutdown must close the browser"
    engine_worker("engine-b")
    session = wait_status(session.id, "connected")
    assert session.engine_node.startswith("engine-b@")
    statuses = [e.to_status for e in session.events.order_by("id")]
    assert statuses.count("qr") == 1, statuses  # linked once only

    # Logout unlinks: the session waits for a new scan.
    assert api.post(f"/api/v1/sessions/{session.id}/logout").status_code == 202
    session = wait_status(session.id, "qr", timeout=30)
    assert session.phone == "" and session.qr_raw


def test_a_killed_browser_is_restarted_and_reconnects_by_itself(api, engine_worker):
    engine_worker("engine-a")
    session = create_and_link(api, name="crash")
    # Its node measures the browser soon after taking the session (PSS of a Chromium: 100+ MB).
    wait_for(
        lambda: browser_memory_of([session.id]).get(str(session.id), 0) > 100 << 20,
        30,
        what="the browser's memory measured",
    )
    pids = browser_pids(session.id)
    assert pids
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    wait_for(lambda: session.events.filter(to_status="disconnected").exists(), 30, what="disconnected")
    session = wait_status(session.id, "connected", timeout=60)
    assert session.last_error == ""


def test_a_sigkilled_worker_loses_its_lease_and_another_node_takes_the_session(api, engine_worker):
    worker = engine_worker("engine-a")
    session = create_and_link(api, name="takeover")
    os.kill(worker.proc.pid, signal.SIGKILL)  # the worker only: the kernel takes its browser
    worker.proc.wait(10)
    wait_for(lambda: not browser_pids(session.id), 10, what="the browser to die with its worker")
    engine_worker("engine-b")
    wait_for(
        lambda: (lease_owner(session.id) or "").startswith("engine-b@"), 30, what="lease moves to engine-b"
    )
    # The row still says connected (engine-a died without a word): wait for engine-b's own.
    wait_for(
        lambda: Session.objects.filter(
            pk=session.id, status="connected", engine_node__startswith="engine-b@"
        ).exists(),
        60,
        what="connected again on engine-b",
    )
    assert len(browser_pids(session.id)) > 0
    assert Session.objects.filter(pk=session.id).exists()


def test_stop_and_start_keep_the_link(api, engine_worker):
    engine_worker("engine-a")
    session = create_and_link(api, name="stopstart")
    assert api.post(f"/api/v1/sessions/{session.id}/stop").status_code == 202
    wait_status(session.id, "stopped", timeout=30)
    wait_for(lambda: not browser_pids(session.id), 15, what="browser closed")
    assert api.post(f"/api/v1/sessions/{session.id}/start").status_code == 202
    wait_status(session.id, "connected")


def test_missing_chromium_fails_the_session_with_a_readable_reason_and_the_api_still_answers(
    api, engine_worker
):
    engine_worker("engine-a", CHROMIUM_PATH="/nonexistent/chromium")
    session_id = api.post("/api/v1/sessions", {"name": "nochrome", "sandbox": True}, format="json").json()[
        "id"
    ]
    session = wait_status(session_id, "failed", timeout=30)
    assert "install-browser.sh" in session.last_error
    body = api.get(f"/api/v1/sessions/{session_id}").json()
    assert body["status"] == "failed" and "Chromium" in body["lastError"]
    # A failed session is not retried in a loop; start asks for a new try.
    assert api.post(f"/api/v1/sessions/{session_id}/start").status_code == 202
    wait_for(
        lambda: Session.objects.get(pk=session_id).events.filter(to_status="failed").count() == 2,
        30,
        what="second failure",
    )


def test_a_session_left_unscanned_stops_with_a_reason(api, engine_worker):
    engine_worker("engine-a", QR_TIMEOUT_SECONDS="3")
    session_id = api.post("/api/v1/sessions", {"name": "noscan", "sandbox": True}, format="json").json()["id"]
    wait_status(session_id, "qr")
    session = wait_status(session_id, "stopped", timeout=30)
    assert "No scan within 3s" in session.last_error and session.desired_state == "stopped"


def test_pairing_code_links_without_a_qr_through_the_engine(api, engine_worker):
    engine_worker("engine-a")
    session_id = api.post("/api/v1/sessions", {"name": "pair", "sandbox": True}, format="json").json()["id"]
    wait_status(session_id, "qr")
    response = api.post(f"/api/v1/sessions/{session_id}/pairing-code", {"phone": PHONE}, format="json")
    assert response.status_code in (200, 202), response.content
    # 202: the browser took longer than ENGINE_COMMAND_WAIT; the code lands on the session.
    state = wait_for(
        lambda: (api.get(f"/api/v1/sessions/{session_id}").json()["pairingCode"] or {}).get("code"),
        timeout=30,
        what="the pairing code on the session",
    )
    assert state == response.json()["code"] or response.status_code == 202
    code = state
    assert len(code) == 8 and code.isalnum()


def test_the_phone_going_offline_shows_disconnected_then_reconnects_by_itself(api, engine_worker):
    engine_worker("engine-a")
    session = create_and_link(api, name="offline")
    response = api.post(
        f"/api/v1/sandbox/sessions/{session.id}/disconnect", {"mode": "offline", "seconds": 2}, format="json"
    )
    assert response.status_code in (200, 202), response.content
    wait_status(session.id, "disconnected", timeout=20)
    session = wait_status(session.id, "connected", timeout=30)
    assert session.phone == PHONE


def test_the_phone_unlinking_the_device_sends_the_session_back_to_qr(api, engine_worker):
    engine_worker("engine-a")
    session = create_and_link(api, name="unlink")
    response = api.post(
        f"/api/v1/sandbox/sessions/{session.id}/disconnect", {"mode": "unlink"}, format="json"
    )
    assert response.status_code in (200, 202), response.content
    session = wait_status(session.id, "qr", timeout=20)
    assert session.phone == ""


def test_an_idle_session_is_stopped_when_the_idle_timeout_is_on(api, engine_worker):
    engine_worker("engine-a", IDLE_TIMEOUT_SECONDS="2")
    session = create_and_link(api, name="idle")
    session = wait_status(session.id, "stopped", timeout=30)
    assert "No activity" in session.last_error
