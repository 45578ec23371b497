"""Every kind of wait shows in the API and reaches a real HTTP receiver as one `message.status`
webhook when it begins (status `queued`, `waitingFor`, `notBefore`), however often the send path
looks at the queue meanwhile; a wait that moves by WAIT_EVENT_SHIFT seconds or more is announced
again. The send path runs on a clock moved by hand and the webhooks go out in-process
(webhook_lane_drain)."""

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

import pytest

from messaging import outbound, paced_send
from messaging.models import Message
from messaging.services import message_send
from messaging.tests.conftest import queue
from messaging.tests.test_pacing import QUIET, policy, talked_with, to
from messaging.tests.test_pacing_visible import quiet_now
from sessions_app.models import SessionEvent
from webhooks.attempts import webhook_lane_drain
from webhooks.models import WebhookDelivery
from webhooks.services import webhook_configure
from webhooks.tests.conftest import Receiver


@pytest.fixture
def hook(settings) -> Iterator[Receiver]:
    settings.WEBHOOK_ALLOW_PRIVATE, settings.WEBHOOK_URL = True, ""
    server = Receiver().start()
    yield server
    server.stop()


def last_of(messages: list[Message]) -> Message:
    return messages[-1]


def _rate_limit(session, clock, settings) -> Message:
    settings.RATE_LIMIT_PER_MINUTE, settings.RATE_LIMIT_BURST = 2, 2
    policy(session, "off")
    return last_of(queue(session, "a", "b", "c"))


def _jitter(session, clock, settings) -> Message:
    policy(session, **QUIET | {"jitter": [2, 3]})
    return last_of(queue(session, "a", "b"))


def _typing(session, clock, settings) -> Message:
    policy(session, **QUIET | {"typing": True})
    talked_with(session)
    return last_of(queue(session, "Hello there"))


def _sent_to_new_numbers(session, n: int) -> Message:
    return last_of([message_send(session=session, to=to(i), text=f"m{i}", queue=True)[0] for i in range(n)])


def _hourly_cap(session, clock, settings) -> Message:
    policy(session, **QUIET | {"perHour": 2})
    return last_of(queue(session, "1", "2", "3"))


def _daily_cap(session, clock, settings) -> Message:
    policy(session, **QUIET | {"perDay": 2})
    return last_of(queue(session, "1", "2", "3"))


def _new_chats_cap(session, clock, settings) -> Message:
    policy(session, **QUIET | {"newChatsPerDay": 2})
    return _sent_to_new_numbers(session, 3)


def _warmup(session, clock, settings) -> Message:
    SessionEvent.objects.create(session=session, from_status="qr", to_status="connected")
    policy(session, **QUIET | {"warmup": True})
    return last_of(queue(session, *[f"m{i}" for i in range(21)]))


def _quiet_hours(session, clock, settings) -> Message:
    policy(session, **QUIET | {"quietHours": quiet_now(clock)})
    return last_of(queue(session, "good morning"))


# kind → (its scenario, the seconds after which the wait is over and the message went; 0: later).
KINDS: dict[str, tuple[Callable, float]] = {
    "rate_limit": (_rate_limit, 64),
    "jitter": (_jitter, 4),
    "typing": (_typing, 4),
    "hourly_cap": (_hourly_cap, 0),
    "daily_cap": (_daily_cap, 0),
    "new_chats_cap": (_new_chats_cap, 0),
    "warmup": (_warmup, 0),
    "quiet_hours": (_quiet_hours, 0),
}


def look(session, engine, clock, message: Message, seconds: float, step: float, api=None) -> list[tuple]:
    """The send path looks at the queue every `step` seconds; returns the message's wait at each
    look, and what the API showed of it then (with `api`)."""
    seen = []
    for _ in range(round(seconds / step)):
        outbound.send_due(session_id=session.pk, engine=engine)
        message.refresh_from_db(fields=["status", "not_before", "waiting_for"])
        shown = api.get(f"/api/v1/sessions/{session.pk}/messages/{message.pk}").json() if api else None
        seen.append((message.status, message.waiting_for, message.not_before, shown))
        clock.advance(step)
    return seen


def deliver(session, receiver: Receiver) -> list[dict]:
    """Every webhook of the session sent to the receiver, in order: the bodies it got."""
    deliveries = WebhookDelivery.objects.filter(session=session).order_by("id")
    for delivery_id in deliveries.values_list("id", flat=True):
        webhook_lane_drain(delivery_id=delivery_id)
    bodies = [r.json for r in receiver.received("/hook")]
    assert len(bodies) == WebhookDelivery.objects.filter(session=session).count()
    return bodies  # only message.status is subscribed


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@pytest.mark.parametrize("kind", list(KINDS))
def test_each_wait_reaches_the_receiver_once_when_it_begins(
    api, session, engine, clock, settings, hook, kind
):
    settings.RATE_LIMIT_PER_MINUTE = 0
    webhook_configure(session=session, url=hook.url(), events=["message.status"])
    scenario, ends_after = KINDS[kind]
    message = scenario(session, clock, settings)

    seen = look(session, engine, clock, message, 1.5, 0.05, api)  # 30 looks at the queue
    if ends_after:
        seen += look(session, engine, clock, message, ends_after, 2.0)

    waits = [until for status, reason, until, _ in seen if status == "queued" and reason == kind]
    assert len(waits) >= 10  # the message was looked at many times while it waited
    shown = next(shown for status, reason, _, shown in seen if reason == kind)  # the API, meanwhile
    assert (shown["status"], shown["waitingFor"]) == ("queued", kind) and parse(shown["notBefore"]) in waits
    events = [b for b in deliver(session, hook) if b["messageId"] == str(message.pk)]
    announced = [b for b in events if b["waitingFor"] == kind]
    assert len(announced) == 1, [(b["status"], b["waitingFor"], b["notBefore"]) for b in events]
    (event,) = announced
    assert (event["status"], event["previousStatus"]) == ("queued", "queued")
    assert parse(event["notBefore"]) in set(waits)
    if ends_after:  # then it went: the last event says so, without a wait
        last = events[-1]
        assert (last["status"], last["waitingFor"], last["notBefore"]) == ("sent", None, None)
        message.refresh_from_db()
        assert message.dispatched_at >= parse(event["notBefore"]) - timedelta(seconds=paced_send.BRIEF_WAIT)


def test_a_wait_that_moves_is_announced_again_a_small_move_is_not(session, engine, clock, settings, hook):
    settings.RATE_LIMIT_PER_MINUTE = 0
    webhook_configure(session=session, url=hook.url(), events=["message.status"])
    window = quiet_now(clock)
    policy(session, **QUIET | {"quietHours": window})
    (message,) = queue(session, "good morning")
    look(session, engine, clock, message, 0.3, 0.1)

    # The window ends an hour later: the receiver's "goes at" would be an hour wrong.
    later = (datetime.strptime(window["end"], "%H:%M") + timedelta(hours=1)).strftime("%H:%M")
    policy(session, **QUIET | {"quietHours": window | {"end": later}})
    look(session, engine, clock, message, 0.3, 0.1)
    # A move of less than WAIT_EVENT_SHIFT seconds (here the same end, recomputed) is not news.
    policy(session, **QUIET | {"quietHours": window | {"end": later}, "typing": True})
    look(session, engine, clock, message, 0.3, 0.1)

    events = [b for b in deliver(session, hook) if b["waitingFor"] == "quiet_hours"]
    assert [parse(b["notBefore"]) - parse(events[0]["notBefore"]) for b in events] == [
        timedelta(0),
        timedelta(hours=1),
    ]


def test_worth_an_event():
    at = datetime(2026, 12, 2, 12, 0, 0).astimezone()
    wait = paced_send.pacing.Wait(at, "rate_limit")
    worth = paced_send._worth_an_event
    assert worth(None, wait)
    assert not worth(["rate_limit", (at - timedelta(seconds=4.9)).isoformat()], wait)
    assert worth(["rate_limit", (at - timedelta(seconds=5)).isoformat()], wait)
    assert worth(["jitter", at.isoformat()], wait)
