"""A browser above ENGINE_SESSION_MEMORY_MAX is recycled (engine/recycle.py): restarted on its
profile at a quiet moment, the session connected throughout, every event stored exactly once.

Here the page is the bridge's queue alone (ScriptedPage), one per browser start; the same
through real Chromium on the sandbox page is test_recycle_sandbox.py."""

import threading

import pytest

from messaging.models import Message
from sessions_app.engine import recycle as recycle_module
from sessions_app.engine.actor import SessionActor
from sessions_app.engine.host import SessionHost
from sessions_app.engine.memory import js_heap_all
from sessions_app.engine.recycle import RECYCLE_REASON
from sessions_app.models import DesiredState, Session, SessionStatus
from sessions_app.tests.helpers import wait_for
from sessions_app.tests.test_actor_events import ME, ScriptedPage, new_message
from yesapp.tests.test_metrics import scrape

pytestmark = pytest.mark.slow


class Browsers:
    """The engine factory: a new page for every browser start, all kept."""

    def __init__(self):
        self.pages: list[ScriptedPage] = []
        self.lock = threading.Lock()

    def __call__(self, session):
        with self.lock:
            self.pages.append(ScriptedPage())
            return self.pages[-1]

    def current(self) -> ScriptedPage:
        with self.lock:
            return self.pages[-1]


def stored(session) -> list[str]:
    return sorted(Message.objects.filter(session=session).values_list("text", flat=True))


def test_a_recycle_restarts_the_browser_quietly_and_nothing_is_lost_or_twice(transactional_db, settings):
    settings.METRICS_ENABLED, settings.METRICS_TOKEN = True, ""
    session = Session.objects.create(
        name="recycle", status=SessionStatus.CONNECTED, desired_state=DesiredState.RUNNING, wid=ME
    )
    browsers = Browsers()
    actor = SessionActor(session_id=session.pk, node="test-node", engine_factory=browsers)
    actor.start()
    try:
        wait_for(lambda: browsers.pages, 10, what="the first browser")
        first = browsers.current()
        for n in range(1, 6):
            first.add("chat.new_message", new_message(n, f"before {n}"))
        assert actor.request_recycle("test: over the cap")
        assert not actor.request_recycle("asked twice")  # one pending at a time
        for n in range(6, 11):
            first.add("chat.new_message", new_message(n, f"around {n}"))
        wait_for(lambda: len(browsers.pages) == 2, 20, what="the recycle")
        assert not first.queue  # the old page was drained and acknowledged before it closed
        second = browsers.current()
        for n in range(11, 16):
            second.add("chat.new_message", new_message(n, f"after {n}"))
        wait_for(lambda: len(stored(session)) >= 15, 20, what="every message stored")
        texts = stored(session)
        assert len(texts) == len(set(texts)) == 15
        assert actor.recycles == 1
        session.refresh_from_db()
        assert session.status == SessionStatus.CONNECTED
        reasons = list(session.events.order_by("id").values_list("to_status", "reason"))
        at = next(i for i, (_, reason) in enumerate(reasons) if RECYCLE_REASON in reason)
        assert reasons[at][0] == "connected"
        assert [status for status, _ in reasons[at - 1 :]] == ["connected", "connected"], reasons
        metric = scrape()[("yesapp_engine_recycles_total", (("session_id", str(session.pk)),))]
        assert metric == 1
        # Right after a recycle another one is refused (a cap set below a fresh browser).
        assert not actor.request_recycle("again")
    finally:
        actor.request_stop("shutdown")
        actor.thread.join(15)


class MeasuredActor:
    """What the host asks of an actor: its pids, its page's JS heap, to recycle."""

    def __init__(self, pid):
        self.pid, self.asked = pid, []

    def memory_pids(self):
        return [self.pid]

    def js_heap(self):
        return (7 << 20, 9 << 20)

    def request_recycle(self, reason):
        self.asked.append(reason)
        return True


def test_the_node_asks_a_browser_over_the_cap_to_recycle_and_reports_the_js_heap(transactional_db, settings):
    import os

    settings.METRICS_ENABLED, settings.METRICS_TOKEN = True, ""
    host = SessionHost("test-node@here")
    actor = MeasuredActor(os.getpid())  # this test process: tens of MB
    host.actors = {"s1": actor}
    settings.ENGINE_SESSION_MEMORY_MAX = 100_000
    host.report_memory()
    assert actor.asked == [] and js_heap_all() == {"s1": 7 << 20}
    assert scrape()[("yesapp_session_js_heap_bytes", (("session_id", "s1"),))] == 7 << 20
    settings.ENGINE_SESSION_MEMORY_MAX = 1
    host.report_memory()
    assert len(actor.asked) == 1 and "ENGINE_SESSION_MEMORY_MAX (1 MB)" in actor.asked[0]
    settings.ENGINE_SESSION_MEMORY_MAX = 0  # no cap
    host.report_memory()
    assert len(actor.asked) == 1


def test_a_session_never_quiet_is_recycled_between_two_turns_after_a_while(monkeypatch):
    monkeypatch.setattr(recycle_module, "QUIET_WAIT_MAX", 0.0)
    actor = SessionActor(session_id="x", node="n", engine_factory=lambda s: None)
    actor.status = SessionStatus.CONNECTED
    page = ScriptedPage()
    actor.request_recycle("busy session")
    with pytest.raises(recycle_module.RecycleBrowser):
        actor._recycle_if_quiet(page, busy=True)
