"""The engine through outages that heal by themselves: Redis gone, the database away for a
while, an unexpected error. None of them may mark a session `failed` (nothing restarts a
failed session), and a node cut off from Redis must close its browsers before another node
may take their sessions over."""

import threading
import time

import pytest
from django.db import connection

from messaging.models import Message, MessageStatus
from messaging.tests.engine_double import RecordingEngine
from sessions_app.engine.actor import SEND_INTERVAL, SessionActor
from sessions_app.engine.host import SessionHost
from sessions_app.engine.lease import lease_acquire, lease_owner
from sessions_app.models import DesiredState, Session, SessionEvent, SessionStatus
from sessions_app.tests.helpers import wait_for, wait_status
from yesapp.tests.fixtures import BLIP_APP_NAME

CHAT = "33698765432@c.us"


class PageDouble(RecordingEngine):
    """A linked, idle page: drains take their wait, as the real one does with no events.
    Records when it was started and closed."""

    def __init__(self, session=None):
        super().__init__()
        self.started_at = self.stopped_at = None
        self.drain_error: Exception | None = None

    def _status_of(self, chat_id: str, text: str) -> str:
        return ""  # a browser never reads the database (the double's own look would hit the blip)

    def start(self) -> None:
        self.started_at = time.monotonic()

    def stop(self) -> None:
        self.stopped_at = time.monotonic()

    def drain_events(self, wait: float):
        if self.drain_error is not None:
            error, self.drain_error = self.drain_error, None
            raise error
        time.sleep(wait)
        return []


def running_session(name: str) -> Session:
    return Session.objects.create(
        name=name, status=SessionStatus.STARTING, desired_state=DesiredState.RUNNING
    )


# --- Redis gone ------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_node_cut_off_from_redis_closes_its_browser_before_the_lease_expires_and_takes_it_back(
    private_redis, transactional_db, settings, caplog
):
    """docs/ARCHITECTURE.md promises that a node which cannot renew a lease closes the browser
    within ENGINE_LEASE_TTL, so that no second node ever drives the same number. Before, the
    heartbeat raised first and the renewals (and the check) never ran: the browser stayed."""
    settings.ENGINE_LEASE_TTL = 4
    settings.ENGINE_SCAN_INTERVAL = 0.2
    session = running_session("cut-off")
    pages: list[PageDouble] = []

    def factory(session):
        pages.append(PageDouble())
        return pages[-1]

    node = SessionHost("cut-off@test", engine_factory=factory)
    node.start()
    try:
        wait_status(session.pk, SessionStatus.CONNECTED, timeout=30)
        private_redis.stop()
        # The last renewal came before this, so the lease expires by this + ENGINE_LEASE_TTL.
        redis_gone_at = time.monotonic()
        wait_for(lambda: pages[0].stopped_at, 3 * settings.ENGINE_LEASE_TTL, what="the browser closed")
        # The promise itself: closed before the lease could expire and another node take it.
        assert pages[0].stopped_at < redis_gone_at + settings.ENGINE_LEASE_TTL
        # The status is recorded once the actor has finished closing, just after the browser.
        session = wait_status(session.pk, SessionStatus.DISCONNECTED, timeout=10)
        assert "Redis unreachable" in session.last_error
        assert len(pages) == 1, "no browser may start while the lease cannot be taken"

        private_redis.start()
        wait_for(lambda: len(pages) == 2, 30, what="the session taken back once Redis answers")
        wait_status(session.pk, SessionStatus.CONNECTED, timeout=30)
        assert lease_owner(session.pk) == "cut-off@test"
        # The keeper's next heartbeat says the outage is over.
        wait_for(lambda: "reaches Redis again" in caplog.text, 10, what="the end of the outage logged")
    finally:
        node.stop()
    assert not SessionEvent.objects.filter(session=session, to_status=SessionStatus.FAILED).exists()
    # One outage, said once though the keeper ticked every second through it.
    messages = [record.getMessage() for record in caplog.records if record.name == "sessions_app.engine.host"]
    assert sum("cannot reach Redis" in m for m in messages) == 1, messages
    assert sum("reaches Redis again" in m for m in messages) == 1, messages
    assert sum("went unrenewed" in m for m in messages) == 1, messages


@pytest.mark.slow
def test_a_scan_waiting_on_the_database_does_not_let_the_leases_expire(transactional_db, settings):
    """A scan can wait on the database for long (SQLite's busy timeout is 20 s; a PostgreSQL
    lock): the leases of the sessions already running are renewed meanwhile, so their browsers
    stay open. Before, renewals came from the scan itself, and a scan held up for longer than
    ENGINE_LEASE_TTL closed every browser of the node."""
    settings.ENGINE_LEASE_TTL = 2
    settings.ENGINE_SCAN_INTERVAL = 0.2
    session = running_session("slow-scan")
    pages: list[PageDouble] = []

    def factory(session):
        pages.append(PageDouble())
        return pages[-1]

    node = SessionHost("slow-scan@test", engine_factory=factory)
    held, released = threading.Event(), threading.Event()
    wanted_ids = node._wanted_session_ids

    def stuck_on_the_database():
        held.set()
        released.wait(30)
        return wanted_ids()

    node.start()
    try:
        wait_status(session.pk, SessionStatus.CONNECTED, timeout=30)
        node._wanted_session_ids = stuck_on_the_database
        assert held.wait(10)
        time.sleep(3 * settings.ENGINE_LEASE_TTL)  # what is tested is the lease outliving this
        assert lease_owner(session.pk) == "slow-scan@test"
        assert pages[0].stopped_at is None and len(pages) == 1
    finally:
        released.set()
        node.stop()


def test_an_ended_actor_seen_late_by_the_lease_keeper_leaves_its_successors_lease_alone(transactional_db):
    """The keeper works from a look at the actors taken before it renews: an actor that ended
    since, and whose session already runs on a new actor here (same node name, a new lease),
    must not have 'its' lease released: that took the new actor's lease and closed its browser
    on the next renewal (seen in the WAHA client test)."""
    session = running_session("successor")
    node = SessionHost("successor@test", engine_factory=lambda session: PageDouble())
    node.start()
    try:
        successor = wait_for(lambda: node.actors.get(str(session.pk)), 30, what="the session claimed")
        # Never started, so not alive: as an actor that ended.
        ended = SessionActor(
            session_id=str(session.pk), node=node.node, engine_factory=node.engine_factory, on_exit=None
        )
        node._keep_leases([(str(session.pk), ended)])
        assert lease_owner(session.pk) == "successor@test"
        assert node.actors[str(session.pk)] is successor and successor.is_alive()
    finally:
        node.stop()


# --- A node dead, or frozen for a while -------------------------------------------------------


def test_a_standby_claims_a_dead_nodes_session_as_soon_as_its_lease_expires(transactional_db, settings):
    """The standby does not wait for its next scan (30 s here): it sleeps until the dead
    node's lease is due to expire, then claims it; never before it expired."""
    settings.ENGINE_LEASE_TTL = 2
    settings.ENGINE_SCAN_INTERVAL = 30
    session = running_session("orphan")
    assert lease_acquire(session_id=session.pk, node="dead@test")
    expires_at = time.time() + settings.ENGINE_LEASE_TTL
    standby = SessionHost("standby@test", engine_factory=lambda session: PageDouble())
    standby.start()
    try:
        actor = wait_for(lambda: standby.actors.get(str(session.pk)), 10, what="the session claimed")
        assert lease_owner(session.pk) == "standby@test"
        assert actor.marks["claimed"] >= expires_at - 0.01  # Redis's clock is this machine's
    finally:
        standby.stop()


class Freezer:
    """Freezes a node's threads as SIGSTOP or a long garbage collection would: its actor's page
    loop, its lease keeper and its scan each stop at their next step until thawed."""

    def __init__(self, node: SessionHost):
        self.actor_thawed, self.keeper_thawed = threading.Event(), threading.Event()
        self.actor_thawed.set()
        self.keeper_thawed.set()
        keep, wanted = node._keep_leases, node._wanted_session_ids
        node._keep_leases = lambda actors: self.keeper_thawed.wait(60) and keep(actors)
        node._wanted_session_ids = lambda: self.keeper_thawed.wait(60) and wanted()

    def freeze(self) -> None:
        self.actor_thawed.clear()
        self.keeper_thawed.clear()


class FreezablePage(PageDouble):
    """Its loop stops while the freezer's actor is frozen; its start waits for `started`."""

    def __init__(self, freezer: Freezer | None = None, started: threading.Event | None = None):
        super().__init__()
        self.freezer = freezer
        self.started = started

    def start(self) -> None:
        if self.started is not None:
            self.started.wait(60)
        super().start()

    def drain_events(self, wait: float):
        events = super().drain_events(min(wait, 0.1))
        if self.freezer:
            self.freezer.actor_thawed.wait(60)
        return events


def two_nodes(session: Session, b_started: threading.Event | None = None):
    """Node a runs the session (its threads can be frozen), node b stands by (its browsers
    start once `b_started` is set)."""
    pages_a: list[FreezablePage] = []
    pages_b: list[FreezablePage] = []

    def page_a(session):
        pages_a.append(FreezablePage(freezer))
        return pages_a[-1]

    def page_b(session):
        pages_b.append(FreezablePage(started=b_started))
        return pages_b[-1]

    node_a = SessionHost("a@test", engine_factory=page_a)
    freezer = Freezer(node_a)
    node_a.start()
    wait_status(session.pk, SessionStatus.CONNECTED, timeout=30)
    node_b = SessionHost("b@test", engine_factory=page_b)
    node_b.start()
    return node_a, freezer, pages_a, node_b, pages_b


@pytest.mark.slow
def test_a_node_frozen_for_less_than_the_lease_keeps_its_sessions(transactional_db, settings):
    """Half a TTL frozen: the lease was renewed three times per TTL, so it has not expired when
    the node thaws; the standby never takes the session and the node goes on sending."""
    settings.ENGINE_LEASE_TTL = 3
    settings.ENGINE_SCAN_INTERVAL = 0.2
    session = running_session("frozen-briefly")
    node_a, freezer, pages_a, node_b, pages_b = two_nodes(session)
    try:
        token = Session.objects.get(pk=session.pk).lease_token
        freezer.freeze()
        time.sleep(settings.ENGINE_LEASE_TTL / 2)
        freezer.actor_thawed.set()
        freezer.keeper_thawed.set()
        time.sleep(settings.ENGINE_LEASE_TTL)  # what is tested is nothing happening meanwhile
        assert lease_owner(session.pk) == "a@test" and pages_b == []
        assert Session.objects.get(pk=session.pk).lease_token == token
        Message.objects.create(
            session=session, direction="outbound", chat_id=CHAT, text="after", status="queued"
        )
        wait_for(lambda: pages_a[0].sent, 10, what="the send after the freeze")
        assert len(pages_a) == 1 and pages_a[0].stopped_at is None
    finally:
        node_b.stop()
        node_a.stop()


@pytest.mark.slow
def test_a_node_frozen_past_its_lease_loses_the_session_and_sends_nothing_on_waking(
    transactional_db, settings
):
    """Frozen for twice the TTL: the standby takes the session over. The frozen node wakes
    while the standby's browser is still starting and a message is queued, its actor before its
    lease keeper (the worst order): it sends nothing, its browser is closed (by its fencing
    token's check or by the keeper finding the lease gone, whichever comes first), and the
    message goes out once, from the standby."""
    settings.ENGINE_LEASE_TTL = 2
    settings.ENGINE_SCAN_INTERVAL = 0.2
    session = running_session("frozen-long")
    b_started = threading.Event()
    node_a, freezer, pages_a, node_b, pages_b = two_nodes(session, b_started)
    try:
        freezer.freeze()
        wait_for(lambda: pages_b, 3 * settings.ENGINE_LEASE_TTL, what="the standby taking over")
        message = Message.objects.create(
            session=session, direction="outbound", chat_id=CHAT, text="once", status="queued"
        )
        freezer.actor_thawed.set()
        time.sleep(SEND_INTERVAL + 0.5)  # node a's actor has its turns, its keeper still frozen
        assert pages_a[0].sent == []
        freezer.keeper_thawed.set()
        wait_for(lambda: pages_a[0].stopped_at, 10, what="node a closing its browser")
        b_started.set()
        wait_for(lambda: pages_b[0].sent, 10, what="the standby's send")
        assert lease_owner(session.pk) == "b@test" and len(pages_a) == 1
        assert pages_a[0].sent == [] and [call.text for call in pages_b[0].sent] == ["once"]
        sent = lambda: Message.objects.get(pk=message.pk).status == MessageStatus.SENT  # noqa: E731
        wait_for(sent, 10, what="the message recorded as sent")
    finally:
        b_started.set()
        node_b.stop()
        node_a.stop()


# --- The database away -----------------------------------------------------------------------


@pytest.fixture
def blip_target(monkeypatch):
    """Connections opened from now on (the actor's thread) are the ones a blip hits: on
    PostgreSQL they carry the name that `database_blips` terminates; on SQLite they give up on
    a held lock after 0.3 s (SQLITE_BUSY_TIMEOUT), so a lock held for seconds is a `database is
    locked` error. This thread's connection, opened before, is spared."""
    connection.ensure_connection()
    options = connection.settings_dict["OPTIONS"]
    if connection.vendor == "sqlite":
        monkeypatch.setitem(options, "timeout", 0.3)
    else:
        monkeypatch.setitem(options, "application_name", BLIP_APP_NAME)


@pytest.mark.slow
def test_a_database_blip_in_the_browser_loop_keeps_the_browser_open_the_status_and_the_queue(
    database_blips, blip_target
):
    """PostgreSQL: the actor's connection is terminated; SQLite: the write lock is held past
    the busy timeout. Either way the actor waits, with the browser left open (the page keeps
    what it has not handed over), the session stays connected, the reason is in the session's
    history, and the message queued meanwhile goes out once. Before, the error reached the
    actor's catch-all and marked the session `failed`, which nothing restarts."""
    session = running_session("blip")
    pages: list[PageDouble] = []

    def factory(session):
        pages.append(PageDouble())
        return pages[-1]

    actor = SessionActor(session_id=session.pk, node="blip@test", engine_factory=factory)
    actor.start()
    try:
        wait_status(session.pk, SessionStatus.CONNECTED, timeout=30)
        message = Message.objects.create(
            session=session, direction="outbound", chat_id=CHAT, text="through the blip", status="queued"
        )
        stop = threading.Event()
        database_blips.storm(stop, every=0.5, seconds=2.0)
        time.sleep(6)
        stop.set()
        time.sleep(2.5)  # the last lock is released
        wait_for(lambda: Message.objects.get(pk=message.pk).status == MessageStatus.SENT, 30, what="the send")
        assert [call.text for call in pages[0].sent] == ["through the blip"]
        assert len(pages) == 1 and pages[0].stopped_at is None, "the browser was restarted"
        assert actor.is_alive()
        session.refresh_from_db()
        assert session.status == SessionStatus.CONNECTED
        reasons = list(SessionEvent.objects.filter(session=session).values_list("reason", flat=True))
        assert any("database unavailable" in reason for reason in reasons), reasons
    finally:
        actor.request_stop("shutdown")
        actor.thread.join(30)
    assert not SessionEvent.objects.filter(session=session, to_status=SessionStatus.FAILED).exists()


@pytest.mark.slow
def test_an_unexpected_error_restarts_the_browser_with_the_reason_instead_of_failing_the_session(
    transactional_db,
):
    session = running_session("oops")
    pages: list[PageDouble] = []

    def factory(session):
        pages.append(PageDouble())
        if len(pages) == 1:
            pages[0].drain_error = ValueError("a page event nobody expected")
        return pages[-1]

    actor = SessionActor(session_id=session.pk, node="oops@test", engine_factory=factory)
    actor.start()
    try:
        wait_for(lambda: len(pages) == 2, 30, what="a new browser after the error")
        wait_status(session.pk, SessionStatus.CONNECTED, timeout=30)
    finally:
        actor.request_stop("shutdown")
        actor.thread.join(30)
    reasons = list(SessionEvent.objects.filter(session=session).values_list("reason", flat=True))
    assert any("internal error" in r and "a page event nobody expected" in r for r in reasons), reasons
    assert not SessionEvent.objects.filter(session=session, to_status=SessionStatus.FAILED).exists()
