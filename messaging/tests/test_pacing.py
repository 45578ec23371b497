"""The sending policy applied by the send path (messaging.paced_send, messaging.pacing), with a
recording engine and a clock moved by hand: nothing here sleeps."""

from datetime import timedelta

import pytest

from messaging import outbound
from messaging.models import Direction, Message, MessageStatus, NumberCheck
from messaging.sending_policy import sending_policy_replace
from messaging.services import message_send
from messaging.tests.conftest import CHAT, TO, queue
from sessions_app.models import SessionEvent

QUIET = {"typing": False, "readBeforeReply": False, "jitter": None, "checkNumberFirst": False}


@pytest.fixture(autouse=True)
def typing_speed(settings):
    settings.SENDING_TYPING_CHARS_PER_SECOND = 6.0
    settings.SENDING_TYPING_MIN_SECONDS = 1.0
    settings.SENDING_TYPING_MAX_SECONDS = 8.0
    settings.SENDING_READ_PAUSE_SECONDS = 3.0


def talked_with(session, chat_id=CHAT) -> Message:
    """The contact wrote first: the chat exists (typing shows only in a chat WhatsApp Web has)."""
    return Message.objects.create(
        session=session, direction=Direction.INBOUND, chat_id=chat_id, status="received"
    )


def policy(session, preset="natural", **fields):
    return sending_policy_replace(session=session, preset=preset, **fields)


def run(session, engine, clock, seconds: float, step: float = 0.1) -> None:
    """The actor's loop over `seconds` of the test clock: a send step every `step` seconds."""
    for _ in range(round(seconds / step)):
        outbound.send_due(session_id=session.pk, engine=engine)
        clock.advance(step)


def to(n: int) -> str:
    return f"+3361234{n:04d}"


def events_of(emitted, reason):
    return [p for name, _, p in emitted if name == "message.status" and p["waitingFor"] == reason]


def test_typing_shows_before_each_text_for_a_time_that_grows_with_its_length(
    session, engine, clock, unlimited
):
    policy(session, readBeforeReply=False, jitter=None, checkNumberFirst=False)
    talked_with(session)
    short, long = queue(session, "Hi", "x" * 40)

    assert outbound.send_due(session_id=session.pk, engine=engine) == 0
    short.refresh_from_db()
    assert [(c.method, c.text) for c in engine.calls] == [("act_presence", "typing")]
    assert short.waiting_for == "typing" and short.not_before == clock.at + timedelta(
        seconds=short.pacing["typing"]
    )
    run(session, engine, clock, 12)

    short.refresh_from_db()
    long.refresh_from_db()
    assert [c.method for c in engine.calls] == ["act_presence", "send_text", "act_presence", "send_text"]
    assert short.pacing["typing"] == 1.0  # the floor
    assert 40 / 6 * 0.8 <= long.pacing["typing"] <= 8.0
    # Sent when its typing was over, not before.
    typed = long.dispatched_at - short.dispatched_at
    assert timedelta(seconds=long.pacing["typing"]) <= typed <= timedelta(seconds=long.pacing["typing"] + 0.2)


def test_a_voice_note_shows_recording(session, engine, clock, unlimited):
    policy(session, **QUIET | {"typing": True})
    talked_with(session)
    voice = Message.objects.create(
        session=session, direction="outbound", chat_id=CHAT, type="voice", status="queued", media_size=40000
    )
    outbound.send_due(session_id=session.pk, engine=engine)
    assert [(c.method, c.text) for c in engine.calls] == [("act_presence", "recording")]
    voice.refresh_from_db()
    assert voice.pacing["typing"] == 8.0  # 10 s of Opus, capped


def test_a_first_message_to_a_new_chat_is_checked_then_typed(session, engine, clock, unlimited):
    policy(session, **QUIET | {"typing": True, "checkNumberFirst": True})
    (message,) = queue(session, "Hello, we met yesterday")
    outbound.send_due(session_id=session.pk, engine=engine)
    # The number is checked before anything shows; the page opens the chat to type in it.
    assert [(c.method, c.chat_id, c.text) for c in engine.calls] == [
        ("check_numbers", CHAT, ""),
        ("act_presence", CHAT, "typing"),
    ]
    run(session, engine, clock, 6)
    message.refresh_from_db()
    assert (message.status, message.new_chat) == ("sent", True)
    assert [c.method for c in engine.calls][-1] == "send_text"


def test_typing_fills_the_gap_the_rate_limit_leaves_instead_of_adding_to_it(session, engine, clock, settings):
    settings.RATE_LIMIT_PER_MINUTE, settings.RATE_LIMIT_BURST = 30, 1  # one every 2 s
    policy(session, **QUIET | {"typing": True})
    talked_with(session)
    first, second = queue(session, "ok", "ok")

    run(session, engine, clock, 6)

    first.refresh_from_db()
    second.refresh_from_db()
    gap = (second.dispatched_at - first.dispatched_at).total_seconds()
    # Typing (~1 s) ran inside the 2 s the rate limit imposed: 2 s, not 3.
    assert 2.0 <= gap <= 2.15


def test_jitter_spaces_consecutive_sends(session, engine, clock, unlimited):
    policy(session, **QUIET | {"jitter": [2, 3]})
    first, second = queue(session, "a", "b")

    outbound.send_due(session_id=session.pk, engine=engine)
    second.refresh_from_db()
    assert second.waiting_for == "jitter" and 2 <= second.pacing["jitter"] <= 3
    run(session, engine, clock, 4)

    first.refresh_from_db()
    second.refresh_from_db()
    assert second.status == "sent"
    assert timedelta(seconds=2) <= second.dispatched_at - first.dispatched_at <= timedelta(seconds=3.2)


def test_a_fourth_first_contact_waits_for_tomorrow_and_the_rest_goes_on(
    session, engine, clock, unlimited, emitted
):
    policy(session, **QUIET | {"newChatsPerDay": 3})
    known = message_send(session=session, to=to(9), text="known", queue=True)[0].chat_id
    Message.objects.all().delete()
    # A chat that wrote to us first is not a new chat.
    Message.objects.create(session=session, direction=Direction.INBOUND, chat_id=known, status="received")
    new = [message_send(session=session, to=to(n), text=f"new {n}", queue=True)[0] for n in range(4)]
    again = message_send(session=session, to=to(9), text="known again", queue=True)[0]

    run(session, engine, clock, 1)

    for message in [*new, again]:
        message.refresh_from_db()
    assert [m.status for m in new] == ["sent", "sent", "sent", "queued"]
    assert again.status == "sent"  # not held behind the capped one
    fourth = new[3]
    assert fourth.waiting_for == "new_chats_cap"
    midnight = (clock.at + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    assert fourth.not_before == midnight
    (event,) = events_of(emitted, "new_chats_cap")
    assert (event["messageId"], event["status"], event["notBefore"]) == (
        str(fourth.pk),
        "queued",
        midnight.isoformat().replace("+00:00", "Z"),
    )

    clock.at = midnight + timedelta(seconds=1)
    run(session, engine, clock, 0.2)
    fourth.refresh_from_db()
    assert fourth.status == "sent" and fourth.new_chat


def test_quiet_hours_hold_messages_and_release_them_after(session, engine, clock, unlimited, emitted):
    start = (clock.at - timedelta(minutes=30)).strftime("%H:%M")
    end_at = (clock.at + timedelta(minutes=30)).replace(second=0, microsecond=0)
    quiet = {"start": start, "end": end_at.strftime("%H:%M"), "timeZone": "UTC"}
    policy(session, **QUIET | {"quietHours": quiet})
    (message,) = queue(session, "good morning")

    run(session, engine, clock, 1)
    message.refresh_from_db()
    assert (message.status, message.waiting_for, message.not_before) == ("queued", "quiet_hours", end_at)
    assert engine.sent == [] and len(events_of(emitted, "quiet_hours")) == 1

    clock.at = end_at
    run(session, engine, clock, 0.2)
    message.refresh_from_db()
    assert message.status == "sent" and message.dispatched_at >= end_at


def test_quiet_hours_across_midnight_in_a_time_zone(session, engine, clock, unlimited):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    paris = ZoneInfo("Europe/Paris")
    clock.at = datetime(2026, 12, 1, 23, 30, tzinfo=paris)
    policy(session, **QUIET | {"quietHours": {"start": "22:00", "end": "07:30", "timeZone": "Europe/Paris"}})
    (message,) = queue(session, "late")
    outbound.send_due(session_id=session.pk, engine=engine)
    message.refresh_from_db()
    assert message.not_before == datetime(2026, 12, 2, 7, 30, tzinfo=paris)


def test_hourly_and_daily_caps_hold_with_their_reason(session, engine, clock, unlimited):
    policy(session, **QUIET | {"perHour": 2})
    first, _, third = queue(session, "1", "2", "3")
    run(session, engine, clock, 1)
    third.refresh_from_db()
    first.refresh_from_db()
    assert (third.waiting_for, third.not_before) == ("hourly_cap", first.dispatched_at + timedelta(hours=1))

    policy(session, **QUIET | {"perDay": 2})
    run(session, engine, clock, 0.2)
    third.refresh_from_db()
    assert third.waiting_for == "daily_cap" and third.not_before.hour == 0


def test_warmup_caps_a_new_number_by_its_curve(session, engine, clock, unlimited):
    SessionEvent.objects.create(session=session, from_status="qr", to_status="connected")
    policy(session, **QUIET | {"warmup": True})
    queue(session, *[f"m{i}" for i in range(21)])
    run(session, engine, clock, 1)
    assert len(engine.sent) == 20
    held = Message.objects.get(status="queued")
    assert held.waiting_for == "warmup"


def test_a_reply_marks_the_chat_read_after_a_pause_then_types(session, engine, clock, unlimited):
    policy(session, jitter=None, checkNumberFirst=False)
    Message.objects.create(session=session, direction=Direction.INBOUND, chat_id=CHAT, status="received")
    clock.at = Message.objects.get().created_at
    (reply,) = queue(session, "Sure!")

    outbound.send_due(session_id=session.pk, engine=engine)
    reply.refresh_from_db()
    assert reply.waiting_for == "typing" and engine.calls == []  # reading it first
    run(session, engine, clock, 12)

    assert [c.method for c in engine.calls] == ["act_read", "act_presence", "send_text"]
    reply.refresh_from_db()
    assert 1.0 <= reply.pacing["readPause"] <= 3.0


def test_a_number_not_on_whatsapp_fails_and_nothing_is_sent(session, engine, clock, unlimited, emitted):
    policy(session)
    engine.absent = {CHAT}
    (message,) = queue(session, "hello?")

    outbound.send_due(session_id=session.pk, engine=engine)

    message.refresh_from_db()
    assert (message.status, message.error_code) == ("failed", "not_on_whatsapp")
    assert [c.method for c in engine.calls] == ["check_numbers"]  # no typing, no send
    assert NumberCheck.objects.get().exists is False
    # The answer is cached: the next send to it is refused at once by the API.
    with pytest.raises(Exception, match="not on WhatsApp"):
        message_send(session=session, to=TO, text="again")


def test_queue_false_answers_429_naming_the_cap(api, session, engine, clock, unlimited):
    policy(session, **QUIET | {"perDay": 1})
    message_send(session=session, to=TO, text="one")
    outbound.send_due(session_id=session.pk, engine=engine)

    answer = api.post(f"/api/v1/sessions/{session.pk}/messages", {"to": TO, "text": "two"}, format="json")

    assert answer.status_code == 429
    body = answer.json()["error"]
    assert body["code"] == "sending_policy_wait" and body["details"]["waitingFor"] == "daily_cap"
    assert int(answer["Retry-After"]) > 60
    queued = api.post(
        f"/api/v1/sessions/{session.pk}/messages", {"to": TO, "text": "two", "queue": True}, format="json"
    )
    assert queued.status_code == 202


def test_the_api_shows_a_queued_messages_wait_and_a_policy_change_recomputes_it(
    api, session, engine, clock, unlimited
):
    policy(session, **QUIET | {"perDay": 1})
    queue(session, "one", "two")
    run(session, engine, clock, 0.2)
    held = Message.objects.get(status=MessageStatus.QUEUED)
    body = api.get(f"/api/v1/sessions/{session.pk}/messages/{held.pk}").json()
    assert body["waitingFor"] == "daily_cap" and body["notBefore"].endswith("T00:00:00Z")

    api.patch(f"/api/v1/sessions/{session.pk}/sending-policy", {"perDay": 5}, format="json")
    held.refresh_from_db()
    assert held.not_before is None
    run(session, engine, clock, 0.2)
    held.refresh_from_db()
    assert held.status == "sent"
