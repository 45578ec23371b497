"""Logout and pairing codes never hold a web thread for the engine's whole timeout: the API
waits ENGINE_COMMAND_WAIT, then answers 202 with a state to poll; the engine's late answer
lands on the session (sessions_app.tasks)."""

import time

import pytest

from sessions_app.engine.lease import lease_acquire
from sessions_app.models import Session, SessionStatus
from sessions_app.services import session_record_command_answer
from sessions_app.tests.helpers import wait_for

URL = "/api/v1/sessions"
# A node that holds the lease but whose queue nobody consumes (yet): a browser that is slow.
SLOW_NODE = "slow-node@test"


@pytest.fixture
def short_wait(settings):
    settings.ENGINE_COMMAND_WAIT = 0.5


def owned_session(status: str) -> Session:
    session = Session.objects.create(
        name=f"s-{status}", status=status, qr_raw="2@abc" if status == "qr" else ""
    )
    assert lease_acquire(session_id=session.id, node=SLOW_NODE)
    return session


def request_pairing_code(api, session):
    started = time.monotonic()
    response = api.post(f"{URL}/{session.id}/pairing-code", {"phone": "+33612345678"}, format="json")
    return response, time.monotonic() - started


def test_a_pairing_code_the_engine_has_not_answered_yet_is_202_pending(api, short_wait):
    session = owned_session(SessionStatus.QR)

    response, elapsed = request_pairing_code(api, session)

    assert response.status_code == 202, response.content
    assert elapsed < 10  # generous: the point is not ENGINE_COMMAND_TIMEOUT + 5 (25 s)
    body = response.json()
    assert (body["status"], body["code"], body["phone"]) == ("pending", "", "+33612345678")
    assert body["requestedAt"].endswith("Z")
    assert response["Location"] == f"{URL}/{session.id}"
    assert api.get(f"{URL}/{session.id}").json()["pairingCode"]["status"] == "pending"


def test_the_engines_late_answer_shows_on_the_session(api, short_wait):
    session = owned_session(SessionStatus.QR)
    request_pairing_code(api, session)
    request_id = Session.objects.get(pk=session.id).pairing_code["requestId"]

    # An answer to an older request is not taken for this one.
    session_record_command_answer(
        session_id=session.id,
        command="pairing_code",
        args={"requestId": "older"},
        answer={"code": "OLDCODE1"},
    )
    assert api.get(f"{URL}/{session.id}").json()["pairingCode"]["status"] == "pending"
    session_record_command_answer(
        session_id=session.id,
        command="pairing_code",
        args={"requestId": request_id},
        answer={"code": "K3ZP9QWA"},
    )

    state = api.get(f"{URL}/{session.id}").json()["pairingCode"]
    assert (state["status"], state["code"]) == ("ready", "K3ZP9QWA")
    assert "requestId" not in state


def test_a_pairing_code_goes_with_the_qr(api, short_wait):
    from sessions_app.services import session_set_status

    session = owned_session(SessionStatus.QR)
    request_pairing_code(api, session)

    session_set_status(session_id=session.id, status=SessionStatus.CONNECTED, reason="linked")

    assert api.get(f"{URL}/{session.id}").json()["pairingCode"] is None


def test_a_request_no_engine_ever_answers_shows_as_failed(api, short_wait, settings):
    session = owned_session(SessionStatus.QR)
    request_pairing_code(api, session)
    settings.ENGINE_COMMAND_TIMEOUT = -10  # as if the engine's own timeout passed long ago

    state = api.get(f"{URL}/{session.id}").json()["pairingCode"]

    assert state["status"] == "failed" and "did not answer" in state["error"]


def test_logout_answers_202_within_the_wait_and_a_late_failure_is_in_the_events(api, short_wait):
    session = owned_session(SessionStatus.CONNECTED)
    started = time.monotonic()

    response = api.post(f"{URL}/{session.id}/logout")

    assert response.status_code == 202, response.content
    assert time.monotonic() - started < 10
    assert response.json()["status"] == "connected"  # not done yet: poll until `qr`
    session_record_command_answer(
        session_id=session.id,
        command="logout",
        args={},
        answer={"error": "page gone", "code": "engine_error"},
    )
    reasons = [event["reason"] for event in api.get(f"{URL}/{session.id}/events").json()["items"]]
    assert "logout failed: page gone" in reasons


@pytest.mark.slow
def test_a_command_answered_later_by_a_real_worker_lands_on_the_session(api, short_wait, start_worker):
    """No worker consumes the owner's queue when the API asks: 202. The command waits in
    the queue; a worker that takes it later answers (here: it hosts no sessions, an error),
    and that answer is what the session shows."""
    session = owned_session(SessionStatus.QR)

    response, _ = request_pairing_code(api, session)
    assert response.status_code == 202

    start_worker(queues=f"engine.{SLOW_NODE}", name="late")

    def answered():
        state = api.get(f"{URL}/{session.id}").json()["pairingCode"]
        return state if state["status"] != "pending" else None

    state = wait_for(answered, timeout=30, what="the engine's answer on the session")
    assert state["status"] == "failed" and "hosts no sessions" in state["error"]
