"""Fencing tokens: a node that lost a session to another can no longer act as its owner."""

import time

import pytest

from messaging.models import Message, MessageStatus
from messaging.tests.engine_double import RecordingEngine
from sessions_app.engine.actor import SEND_INTERVAL, SessionActor
from sessions_app.fencing import StaleOwner, session_fence_take
from sessions_app.models import DesiredState, Session, SessionStatus
from sessions_app.profile_snapshots import snapshot_take
from sessions_app.services import session_set_status
from sessions_app.tests.helpers import wait_for

CHAT = "33698765432@c.us"


def test_every_takeover_raises_the_token_and_a_write_with_an_older_one_is_refused(db, tmp_path):
    session = Session.objects.create(name="fenced", status=SessionStatus.STARTING)
    old = session_fence_take(session_id=session.pk)
    new = session_fence_take(session_id=session.pk)
    assert new == old + 1
    assert session_set_status(session_id=session.pk, status=SessionStatus.QR, lease_token=new).status == "qr"
    with pytest.raises(StaleOwner):
        session_set_status(session_id=session.pk, status=SessionStatus.CONNECTED, lease_token=old)
    session.refresh_from_db()
    assert session.status == SessionStatus.QR and session.events.count() == 1
    (tmp_path / "Default" / "IndexedDB").mkdir(parents=True)
    with pytest.raises(StaleOwner):
        snapshot_take(session_id=session.pk, profile_dir=tmp_path, lease_token=old)
    assert session_fence_take(session_id="00000000-0000-0000-0000-000000000000") is None


class StoppableEngine(RecordingEngine):
    def __init__(self):
        super().__init__()
        self.stopped = False

    def stop(self) -> None:
        self.stopped = True


@pytest.mark.slow
def test_an_actor_whose_session_was_taken_over_closes_its_browser_and_writes_nothing_more(transactional_db):
    session = Session.objects.create(
        name="split", status=SessionStatus.STARTING, desired_state=DesiredState.RUNNING
    )
    engines: list[StoppableEngine] = []

    def factory(session):
        engines.append(StoppableEngine())
        return engines[-1]

    actor = SessionActor(session_id=session.pk, node="node-a", engine_factory=factory)
    actor.start()
    try:
        wait_for(lambda: Session.objects.get(pk=session.pk).status == "connected", 10, what="connected")
        # Node b takes the session over while node a, cut off from Redis, still runs it.
        token_b = session_fence_take(session_id=session.pk)
        assert token_b > actor.lease_token
        session_set_status(session_id=session.pk, status=SessionStatus.STARTING, lease_token=token_b)
        actor.thread.join(10)
        assert not actor.is_alive() and actor.fenced and engines[0].stopped
        session.refresh_from_db()
        # Node a's last word was not written over node b's: no "disconnected" at a's exit.
        assert session.status == SessionStatus.STARTING
        assert [e.to_status for e in session.events.order_by("id")][-1] == SessionStatus.STARTING
    finally:
        actor.request_stop("shutdown")
        actor.thread.join(10)


@pytest.mark.slow
def test_an_actor_whose_lease_may_have_expired_sends_nothing_until_it_is_renewed(transactional_db):
    """A node frozen past its lease (SIGSTOP, starved of CPU) wakes with its browser open and a
    message queued: it must not send before its lease keeper renewed the lease (or learnt that
    another node took it), since another node may be driving the number by then."""
    session = Session.objects.create(
        name="frozen", status=SessionStatus.STARTING, desired_state=DesiredState.RUNNING
    )
    engines: list[StoppableEngine] = []

    def factory(session):
        engines.append(StoppableEngine())
        return engines[-1]

    actor = SessionActor(session_id=session.pk, node="node-a", engine_factory=factory)
    actor.lease_expires_at = time.monotonic() - 1  # as on waking from a long freeze
    actor.start()
    try:
        wait_for(lambda: Session.objects.get(pk=session.pk).status == "connected", 10, what="connected")
        message = Message.objects.create(
            session=session, direction="outbound", chat_id=CHAT, text="held back", status="queued"
        )
        actor.wake()
        time.sleep(SEND_INTERVAL + 0.5)  # a turn that would have sent it, and a periodic look
        assert engines[0].sent == [] and Message.objects.get(pk=message.pk).status == MessageStatus.QUEUED
        actor.lease_renewed(time.monotonic() + 60)
        wait_for(lambda: engines[0].sent, 10, what="the send once the lease is renewed")
        assert [call.text for call in engines[0].sent] == ["held back"]
    finally:
        actor.request_stop("shutdown")
        actor.thread.join(10)
