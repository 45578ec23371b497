"""sessions_app.nudger: nudges leave the request at once, go out in order, one per session for
everything noted meanwhile, and a failing one stops nothing."""

import threading
import uuid

from sessions_app.nudger import Nudger


def test_nudge_soon_returns_before_the_nudge_is_sent_and_it_is_sent():
    release, sent = threading.Event(), []

    def slow_send(session_id):
        release.wait(5)
        sent.append(session_id)

    nudger = Nudger(slow_send)
    first = uuid.uuid4()
    nudger.nudge_soon(first)  # does not wait for slow_send
    assert sent == []
    release.set()
    assert nudger.wait_idle()
    assert sent == [first]


def test_notes_made_while_sending_are_coalesced_per_session_in_order():
    started, release, sent = threading.Event(), threading.Event(), []
    a, b, c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()

    def send(session_id):
        if session_id == a and not sent:
            started.set()
            release.wait(5)
        sent.append(session_id)

    nudger = Nudger(send)
    nudger.nudge_soon(a)
    assert started.wait(5)
    for session_id in (b, c, b, b, c):  # noted while a's nudge is on its way
        nudger.nudge_soon(session_id)
    release.set()
    assert nudger.wait_idle()
    assert sent == [a, b, c]


def test_a_failing_nudge_does_not_stop_the_next_ones():
    a, b = uuid.uuid4(), uuid.uuid4()
    sent = []

    def send(session_id):
        if session_id == a:
            raise ConnectionError("redis is down")
        sent.append(session_id)

    nudger = Nudger(send)
    nudger.nudge_soon(a)
    assert nudger.wait_idle()
    nudger.nudge_soon(b)
    assert nudger.wait_idle()
    assert sent == [b]
