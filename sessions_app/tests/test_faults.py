"""Sessions under faults: a hung browser, and the engine host's own races."""

import contextlib
import os
import signal
import threading
import time

import pytest

from messaging.models import Message, MessageStatus
from sessions_app.engine import host as host_module
from sessions_app.engine.actor import SessionActor
from sessions_app.engine.base import EngineCrashed, EngineError
from sessions_app.engine.lease import lease_owner
from sessions_app.metrics import RESTART_REASON
from sessions_app.models import DesiredState, Session, SessionEvent, SessionStatus
from sessions_app.tests.helpers import browser_pids, create_and_link, wait_for

CONTACT = "+33698765432"


class IdleEngine:
    """Stands in for Chromium: starts, then fails its first drain so the actor backs off."""

    def __init__(self, session):
        self.session_id = session.pk

    def start(self):
        pass

    def stop(self):
        pass

    def __getattr__(self, name):
        def fail(*args, **kwargs):
            raise EngineError("idle engine", permanent=True, step=name)

        return fail


@pytest.mark.slow
def test_a_scan_racing_a_claim_never_runs_two_actors_for_one_session(transactional_db, monkeypatch):
    """The host's scan thread may look at its actors while a command's claim has just added
    one whose thread is not started yet. It must not take it for dead, release the lease and
    let a second actor (a second browser on the same profile) claim the session."""
    session = Session.objects.create(
        name="race", status=SessionStatus.STARTING, desired_state=DesiredState.RUNNING
    )
    node = host_module.SessionHost("race-node@test", engine_factory=IdleEngine)
    started: list[SessionActor] = []
    real_start = SessionActor.start

    def start_after_a_scan(actor):
        started.append(actor)
        if len(started) == 1:
            # A scan from another thread lands exactly here, between the claim and the thread start.
            scan = threading.Thread(target=node.scan)
            scan.start()
            scan.join(0.5)
        real_start(actor)

    monkeypatch.setattr(SessionActor, "start", start_after_a_scan)
    try:
        node.claim(str(session.pk))
        time.sleep(1)
    finally:
        node.stopping.set()
        for actor in list(node.actors.values()):
            actor.request_stop("shutdown")
    assert len(started) == 1, f"{len(started)} actors were started for one session"
    assert lease_owner(session.pk) in (None, "race-node@test")


class CrashingEngine(IdleEngine):
    """Stands in for a Chromium that crashes while it starts."""

    def start(self):
        raise EngineCrashed("the browser died at launch", step="launch")


@pytest.mark.slow
def test_browser_restarts_while_starting_go_into_the_history_and_the_metric(transactional_db):
    session = Session.objects.create(
        name="crashy", status=SessionStatus.STARTING, desired_state=DesiredState.RUNNING
    )
    actor = SessionActor(session_id=session.pk, node="test-node", engine_factory=CrashingEngine)
    actor.start()
    try:
        # Backoff 1 s, then 2 s: two restarts within a few seconds.
        wait_for(lambda: actor.restarts >= 2, 15, what="two restarts")
    finally:
        actor.request_stop("shutdown")
        actor.thread.join(15)
    events = SessionEvent.objects.filter(session=session, reason__contains=RESTART_REASON)
    assert events.count() >= 2
    assert {(e.from_status, e.to_status) for e in events} == {("starting", "starting")}
    assert "the browser died at launch" in events.first().reason
    session.refresh_from_db()
    assert session.status == SessionStatus.STARTING and "died at launch" in session.last_error


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGSTOP, signal.SIGKILL], ids=["hung", "killed"])
def test_a_hung_or_killed_browser_under_traffic_is_detected_restarted_and_the_queued_messages_go_out(
    sig, api, engine_worker
):
    """SIGSTOP freezes (or SIGKILL kills) every Chromium process of the session under traffic.
    The engine must notice (bounded browser calls), kill what is left, start a new browser on the
    same profile, reconnect without a scan and send what waited. Prints the recovery time."""
    engine_worker("engine-a", RATE_LIMIT_PER_MINUTE="0")
    session = create_and_link(api, name="hung")
    ids = []

    def send(text):
        response = api.post(
            # `queue`: a killed browser is noticed at once and the session shows disconnected.
            f"/api/v1/sessions/{session.id}/messages",
            {"to": CONTACT, "text": text, "queue": True},
            format="json",
        )
        assert response.status_code == 202, response.content
        ids.append(response.json()["messageId"])

    for i in range(10):
        send(f"before-{i}")
    frozen = browser_pids(session.id)
    assert frozen
    hung_at = time.monotonic()
    for pid in frozen:
        os.kill(pid, sig)
    try:
        for i in range(10):
            send(f"during-{i}")
        wait_for(
            lambda: session.events.filter(to_status="disconnected").exists(), 60, what="the hang detected"
        )
        detected = time.monotonic() - hung_at
        wait_for(
            lambda: (
                Session.objects.get(pk=session.id).status == "connected"
                and session.events.filter(to_status="connected").count() >= 2
            ),
            90,
            what="connected again",
        )
        reconnected = time.monotonic() - hung_at
    finally:
        for pid in frozen:  # never leave stopped processes behind
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
                os.kill(pid, signal.SIGKILL)
    wait_for(
        lambda: not Message.objects.filter(pk__in=ids, status__in=["queued", "sending"]).exists(),
        60,
        what="the queued messages sent",
    )
    drained = time.monotonic() - hung_at
    done = Message.objects.filter(pk__in=ids, status__in=["sent", "delivered", "read"]).count()
    uncertain = Message.objects.filter(
        pk__in=ids, status=MessageStatus.FAILED, error_code="send_uncertain"
    ).count()
    assert done + uncertain == len(ids) and uncertain <= 1
    assert not set(frozen) & set(browser_pids(session.id)), "the browser must be replaced"
    statuses = [e.to_status for e in session.events.order_by("id")]
    assert statuses.count("qr") == 1, statuses  # came back from its profile, no new scan
    print(
        f"\n{signal.Signals(sig).name} of the browser: detected after {detected:.1f}s, "
        f"connected again after {reconnected:.1f}s, "
        f"all {len(ids)} messages settled after {drained:.1f}s ({uncertain} send_uncertain)"
    )
