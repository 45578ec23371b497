"""The session actor's loop with the recording engine double: how often it calls the page."""

import time

import pytest

from messaging.tests.engine_double import RecordingEngine
from sessions_app.engine import actor as actor_module
from sessions_app.engine.actor import SessionActor
from sessions_app.models import DesiredState, Session, SessionStatus
from sessions_app.tests.helpers import wait_for


class DrainRecordingEngine(RecordingEngine):
    """Records the wait of every drain and takes it, as the page would with no events."""

    def __init__(self, session):
        super().__init__()
        self.waits: list[float] = []

    def drain_events(self, wait: float):
        self.waits.append(wait)
        time.sleep(wait)
        return []


@pytest.mark.slow
def test_an_idle_session_drains_less_often_and_a_nudge_makes_it_prompt_again(transactional_db, monkeypatch):
    monkeypatch.setattr(actor_module, "DRAIN_WAIT", 0.01)
    monkeypatch.setattr(actor_module, "DRAIN_WAIT_IDLE", 0.05)
    monkeypatch.setattr(actor_module, "IDLE_AFTER", 0.3)
    session = Session.objects.create(
        name="idle", status=SessionStatus.STARTING, desired_state=DesiredState.RUNNING
    )
    engines: list[DrainRecordingEngine] = []

    def factory(session):
        engines.append(DrainRecordingEngine(session))
        return engines[-1]

    actor = SessionActor(session_id=session.pk, node="test-node", engine_factory=factory)
    actor.start()
    try:
        wait_for(lambda: engines and 0.05 in engines[0].waits, 10, what="the idle drain wait")
        engine = engines[0]
        assert engine.waits[0] == 0.01  # busy right after the start
        actor.wake()  # what a nudge to send does
        seen = len(engine.waits)
        wait_for(lambda: 0.01 in engine.waits[seen + 1 :], 5, what="the prompt drain wait again")
        assert Session.objects.get(pk=session.pk).status == SessionStatus.CONNECTED
    finally:
        actor.request_stop("shutdown")
        actor.thread.join(10)


class ContractBrokenEngine(RecordingEngine):
    """A page that lacks a contract function: what ChromiumEngine.start raises then."""

    def start(self):
        from sessions_app.engine.base import EngineError
        from sessions_app.engine.wpp_contract import contract_broken_message

        self.starts = getattr(self, "starts", 0) + 1
        raise EngineError(
            contract_broken_message("2.3000.1017", ["chat.sendTextMessage"]),
            permanent=True,
            step="check wa-js contract",
        )


def test_a_page_lacking_a_contract_function_fails_the_session_once_with_the_reason(transactional_db):
    session = Session.objects.create(
        name="broken", status=SessionStatus.STOPPED, desired_state=DesiredState.RUNNING
    )
    engines: list[ContractBrokenEngine] = []

    def factory(session):
        engines.append(ContractBrokenEngine())
        return engines[-1]

    actor = SessionActor(session_id=session.pk, node="test-node", engine_factory=factory)
    actor.start()
    actor.thread.join(30)
    assert not actor.is_alive()  # no restart loop: the same page would lack it again
    session.refresh_from_db()
    expected = (
        "WhatsApp Web 2.3000.1017 lacks WPP.chat.sendTextMessage: update wa-js (docs/UPGRADING_WAJS.md)"
    )
    assert session.status == SessionStatus.FAILED
    assert session.last_error == expected
    assert session.events.order_by("-created_at").first().reason == expected
    assert len(engines) == 1


def test_a_drain_is_cut_short_to_wake_just_before_a_send_wait_ends():
    actor = SessionActor(session_id="s", node="test-node", engine_factory=lambda session: None)
    assert actor._drain_wait(0.25) == 0.25  # no send waits
    actor._send_at = time.monotonic() + 0.1
    assert 0.1 - actor_module.SEND_EARLY - 0.05 <= actor._drain_wait(0.25) <= 0.1 - actor_module.SEND_EARLY
    actor._send_at = time.monotonic() - 1  # overdue: no wait at all
    assert actor._drain_wait(0.25) == 0.0
    actor._send_at = time.monotonic() + 5  # later than the drain's own wait
    assert actor._drain_wait(0.25) == 0.25
