"""The page's push (page_push.py, event_feed.py): events reach the database without waiting for
the fallback drain, and a lost push or a dead push connection costs latency, never an event."""

import threading
import time
import uuid

import pytest
from django.test import override_settings

from messaging.models import Message
from sessions_app.engine import actor as actor_module
from sessions_app.engine.actor import SessionActor
from sessions_app.engine.chromium import ChromiumEngine
from sessions_app.models import DesiredState, Session, SessionStatus
from sessions_app.tests.helpers import create_and_link, wait_for
from sessions_app.tests.test_actor_events import ME, ScriptedPage, new_message
from sessions_app.tests.test_chromium_engine import serving

CONTACT = "+33698765432"

# A page with a stand-in WPP whose listeners a test calls, as wa-js would on WhatsApp's news.
FAKE_WPP_PAGE = b"""<!doctype html><html><head><title>push</title><script>
window.__listeners = {};
window.WPP = {isReady: true, on: function (name, fn) { window.__listeners[name] = fn; }};
</script></head><body>push</body></html>"""
FIRE = "window.__listeners['chat.new_message'](arguments[0]);"


class PushingPage(ScriptedPage):
    """The bridge's queue with a doorbell: `rings` says whether `add` calls on_push, as the
    page's DevTools binding does; `pushing` is whether the push connection is up."""

    def __init__(self, *, rings: bool):
        super().__init__()
        self.rings = rings
        self.pushing = True
        self.waits: list[float] = []

    def push_active(self) -> bool:
        return self.pushing

    def add(self, name, data) -> int:
        seq = super().add(name, data)
        if self.rings and self.on_push:
            self.on_push()
        return seq

    def drain_events(self, wait: float):
        self.waits.append(wait)
        return super().drain_events(wait)


def run_actor(page: ScriptedPage):
    session = Session.objects.create(
        name="push", status=SessionStatus.CONNECTED, desired_state=DesiredState.RUNNING, wid=ME
    )
    actor = SessionActor(session_id=session.pk, node="test-node", engine_factory=lambda s: page)
    actor.start()
    wait_for(lambda: Session.objects.get(pk=session.pk).engine_node == "test-node", 10, what="the actor")
    return session, actor


def stop(actor: SessionActor) -> None:
    actor.request_stop("shutdown")
    actor.thread.join(15)


@pytest.mark.slow
@override_settings(ENGINE_PUSH_POLL=600)
def test_a_push_has_the_event_stored_without_waiting_for_the_fallback_drain(transactional_db):
    page = PushingPage(rings=True)
    session, actor = run_actor(page)
    try:
        wait_for(lambda: len(page.waits) >= 1, 10, what="the first drain")
        time.sleep(0.5)
        page.add("chat.new_message", new_message(1, "pushed"))
        wait_for(lambda: Message.objects.filter(session=session, text="pushed").exists(), 20, what="storage")
        wait_for(lambda: not page.queue, 10, what="the acknowledgement")
        assert set(page.waits) == {0}  # a pushing page is drained, never waited on
    finally:
        stop(actor)


@pytest.mark.slow
@override_settings(ENGINE_PUSH_POLL=1)
def test_a_lost_push_is_made_up_by_the_fallback_drain(transactional_db):
    page = PushingPage(rings=False)  # the page's binding is gone: nothing ever rings
    session, actor = run_actor(page)
    try:
        wait_for(lambda: len(page.waits) >= 1, 10, what="the first drain")
        page.add("chat.new_message", new_message(1, "unrung"))
        wait_for(lambda: Message.objects.filter(session=session, text="unrung").exists(), 20, what="storage")
        wait_for(lambda: not page.queue, 10, what="the acknowledgement")
    finally:
        stop(actor)


@pytest.mark.slow
@override_settings(ENGINE_PUSH_POLL=600)
def test_when_the_push_connection_dies_the_actor_polls_the_page_again(transactional_db):
    page = PushingPage(rings=False)
    session, actor = run_actor(page)
    try:
        wait_for(lambda: len(page.waits) >= 1, 10, what="the first drain")
        page.pushing = False
        page.on_push()  # what the push reader does when its connection closes
        wait_for(lambda: actor_module.DRAIN_WAIT in page.waits, 10, what="a polling drain")
        page.add("chat.new_message", new_message(1, "polled"))
        wait_for(lambda: Message.objects.filter(session=session, text="polled").exists(), 20, what="storage")
    finally:
        stop(actor)


@pytest.mark.browser
def test_the_bridge_rings_once_per_drain_over_the_devtools_binding(settings):
    rings = threading.Event()
    count = []

    def ring():
        count.append(1)
        rings.set()

    with serving(FAKE_WPP_PAGE) as url:
        engine = ChromiumEngine(session_id=uuid.uuid4(), page_url=url, inject_wajs=False)
        engine.on_push = ring
        engine._check_contract = lambda: None  # the stand-in WPP has no functions
        try:
            engine.start()
            assert engine.push_active()
            assert rings.wait(10), "bridge.ready rang"
            first = engine.drain_events(0)
            assert [e.name for e in first] == ["bridge.ready"]
            rings.clear()
            engine.acknowledge(first[-1].seq)
            engine.drain_events(0)  # acknowledged: the queue is empty
            before = len(count)
            for n in range(3):
                engine.driver.execute_script(FIRE, new_message(n))
            assert rings.wait(10), "the first new event rang"
            time.sleep(0.5)
            assert len(count) == before + 1  # three events, one ring until the next drain
            assert [e.name for e in engine.drain_events(0)] == ["chat.new_message"] * 3
            engine._push.close()
            assert not engine.push_active()  # the actor polls the page from now on
        finally:
            engine.stop()
            engine.delete_profile()


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("push", ["true", "false"])
def test_an_inbound_message_arrives_long_before_the_fallback_drain(api, engine_worker, push):
    """With the push (the page rings), and without it (ENGINE_PUSH=false: the engine polls)."""
    engine_worker("engine-a", ENGINE_PUSH=push, ENGINE_PUSH_POLL="120")
    session = create_and_link(api, name="push")  # connecting needs the push (or polling) already
    t0 = time.monotonic()
    response = api.post(
        f"/api/v1/sandbox/sessions/{session.id}/inbound", {"from": CONTACT, "text": "hi"}, format="json"
    )
    assert response.status_code == 202, response.content
    wait_for(lambda: Message.objects.filter(session=session, text="hi").exists(), 30, what="storage")
    assert time.monotonic() - t0 < 60  # a fallback drain would take up to 120 s
