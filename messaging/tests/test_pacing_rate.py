"""`natural` still reaches the rate limit with short texts: typing and jitter run inside the gap
the limit leaves, and the actor wakes when a wait ends (messaging.outbound.next_send_in) rather
than a turn later. Driven the way the actor drives it, on a clock moved by hand."""

from datetime import timedelta

import pytest

from messaging import outbound, pacing
from messaging.models import MessageStatus
from messaging.sending_policy import policy_for
from messaging.tests.conftest import queue
from messaging.tests.test_pacing import policy, talked_with
from sessions_app.engine.actor import SEND_EARLY

# What the pacing benchmark sends (bench/pacing_bench.py): quick chat replies.
TEXTS = ("Hi!", "Sure", "Thanks!", "On my way", "OK", "Got it")


def drive(session, engine, clock, seconds: float, turn: float = 0.0) -> list:
    """The actor's loop: a send step, then sleep until the next wait ends (at most 2 s, its
    periodic look), `turn` seconds of work late. Returns the send times."""
    end = clock.at.timestamp() + seconds
    while clock.at.timestamp() < end:
        outbound.send_due(session_id=session.pk, engine=engine)
        wait = outbound.next_send_in(session_id=session.pk)
        clock.advance(max(0.0, min(2.0, wait if wait is not None else 2.0) - SEND_EARLY) + turn)
    sent = session.messages.filter(status=MessageStatus.SENT).exclude(dispatched_at=None)
    return sorted(m.dispatched_at for m in sent)


def per_minute(times) -> float:
    return (len(times) - 1) / (times[-1] - times[0]).total_seconds() * 60


@pytest.mark.slow
def test_natural_sends_short_texts_at_the_full_50_a_minute(session, engine, clock, settings):
    settings.RATE_LIMIT_PER_MINUTE, settings.RATE_LIMIT_BURST = 50, 5
    pacing.rng.seed(19)
    policy(session, "natural")
    talked_with(session)
    queue(session, *(f"{TEXTS[n % len(TEXTS)]} {n}" for n in range(100)))

    # 20 ms of work per turn, as a quiet engine takes for a drain and a send step.
    times = drive(session, engine, clock, 150, turn=0.02)

    assert len(times) == 100
    assert per_minute(times) >= 49
    gaps = [(b - a).total_seconds() for a, b in zip(times, times[1:], strict=False)]
    assert min(gaps) >= policy_for(session.pk).jitter[0]  # never a burst under natural
    assert [c.method for c in engine.calls].count("act_presence") == 100  # typing before each


@pytest.mark.slow
def test_off_sends_at_the_full_rate_too_when_each_turn_is_late(session, engine, clock, settings):
    settings.RATE_LIMIT_PER_MINUTE, settings.RATE_LIMIT_BURST = 50, 5
    policy(session, "off")
    queue(session, *(f"{TEXTS[n % len(TEXTS)]} {n}" for n in range(100)))

    # 50 ms late each turn: the actor wakes early and the step waits out the rest.
    times = drive(session, engine, clock, 150, turn=0.05)

    assert len(times) == 100 and per_minute(times) >= 49.5


def slow_engine(engine, clock, seconds: float):
    """Each call to the page takes `seconds` of the test clock, as a browser's work does."""
    for name in ("send_text", "set_presence", "mark_read"):

        def slow(*args, _call=getattr(engine, name), **kwargs):
            clock.advance(seconds)
            return _call(*args, **kwargs)

        setattr(engine, name, slow)
    return engine


@pytest.mark.slow
def test_50_short_texts_queued_at_once_go_within_a_minute_under_natural(session, engine, clock, settings):
    """The schedule itself: typing and jitter run inside the 1.2 s the limit leaves between sends,
    the next send going at the latest of (rate-limit slot, previous send + jitter, end of its
    typing), not at their sum. Only the page's own time (the previous send, showing typing) comes
    before the typing: 100 ms a call here."""
    settings.RATE_LIMIT_PER_MINUTE, settings.RATE_LIMIT_BURST = 50, 5
    pacing.rng.seed(50)
    policy(session, "natural")
    talked_with(session)
    queued_at = clock.at
    queue(session, *(f"{TEXTS[n % len(TEXTS)]} {n}" for n in range(50)))

    times = drive(session, slow_engine(engine, clock, 0.1), clock, 90)

    assert len(times) == 50
    # The limit alone: 50 in a minute (49 gaps of 1.2 s); the first waits for the read and typing.
    assert (times[-1] - times[0]).total_seconds() <= 49 * 1.2 + 1.5
    assert (times[-1] - queued_at).total_seconds() <= 60 + 5
    sent = session.messages.filter(status=MessageStatus.SENT).order_by("dispatched_at")
    drawn = [m.pacing["typing"] for m in sent]
    # Their sum would be far over a minute: typing (and jitter) did not add to the gaps.
    assert sum(drawn) + sum(m.pacing["jitter"] for m in sent) > 70
    assert [c.method for c in engine.calls].count("act_presence") == 50  # typing before each


def test_next_send_in_is_when_the_first_wait_ends(session, engine, clock, unlimited):
    policy(session, readBeforeReply=False, jitter=None, checkNumberFirst=False)
    assert outbound.next_send_in(session_id=session.pk) is None  # nothing queued
    talked_with(session)
    (message,) = queue(session, "Hello there")
    assert outbound.next_send_in(session_id=session.pk) is None  # due now: no wait

    outbound.send_due(session_id=session.pk, engine=engine)  # typing starts

    message.refresh_from_db()
    assert message.waiting_for == "typing"
    assert outbound.next_send_in(session_id=session.pk) == message.pacing["typing"]


def test_typing_starts_as_soon_as_the_previous_message_is_out_and_fills_the_gap(
    session, engine, clock, settings
):
    settings.RATE_LIMIT_PER_MINUTE, settings.RATE_LIMIT_BURST = 50, 1  # one every 1.2 s
    policy(session, readBeforeReply=False, jitter=None, checkNumberFirst=False)
    talked_with(session)
    first, second = queue(session, "OK", "OK")
    first.pacing = second.pacing = {"typing": 0.6}  # shorter than the 1.2 s gap
    first.save(update_fields=["pacing"])
    second.save(update_fields=["pacing"])

    drive(session, engine, clock, 0.7)  # the first typed for 0.6 s, then went

    second.refresh_from_db()
    first.refresh_from_db()
    # One wake for the second: typing began with the first's send and ends when the limit allows.
    assert (first.status, second.waiting_for) == ("sent", "typing")
    assert second.not_before == first.dispatched_at + timedelta(seconds=1.2)
