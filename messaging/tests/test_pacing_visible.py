"""Every wait of the sending policy shows: in the `message.status` webhook, in a `queue: false`
send's 429 (naming the cap), and in the usage GET .../sending-policy reports. The clock is
moved by hand; nothing here sleeps."""

import json
from datetime import timedelta

import pytest

from messaging import outbound
from messaging.services import message_send
from messaging.tests.conftest import TO, queue
from messaging.tests.test_pacing import QUIET, policy, run, talked_with, to
from sessions_app.models import SessionEvent
from webhooks.models import WebhookDelivery
from webhooks.services import webhook_configure


def quiet_now(clock) -> dict:
    start = (clock.at - timedelta(minutes=30)).strftime("%H:%M")
    end = (clock.at + timedelta(minutes=30)).strftime("%H:%M")
    return {"start": start, "end": end, "timeZone": "UTC"}


def test_a_long_wait_reaches_the_webhook_as_message_status_with_its_reason(
    session, engine, clock, unlimited, settings
):
    settings.WEBHOOK_ALLOW_PRIVATE, settings.WEBHOOK_URL = True, ""
    webhook_configure(session=session, url="http://127.0.0.1:9/hook")
    policy(session, **QUIET | {"quietHours": quiet_now(clock)})
    (message,) = queue(session, "good morning")

    run(session, engine, clock, 0.3)

    message.refresh_from_db()
    bodies = [json.loads(d.body) for d in WebhookDelivery.objects.filter(event="message.status")]
    held = [b for b in bodies if b.get("waitingFor")]
    assert len(held) == 1  # one event when the wait begins, not one per look at the queue
    assert (held[0]["messageId"], held[0]["status"], held[0]["waitingFor"]) == (
        str(message.pk),
        "queued",
        "quiet_hours",
    )
    assert held[0]["notBefore"] == message.not_before.isoformat().replace("+00:00", "Z")


def _fill(session, engine, clock, n: int, **fields) -> None:
    policy(session, **QUIET | fields)
    for i in range(n):
        message_send(session=session, to=to(i), text=f"m{i}", queue=True)
    run(session, engine, clock, 1)


CAPS = {
    "hourly_cap": lambda s, e, c: _fill(s, e, c, 2, perHour=2),
    "new_chats_cap": lambda s, e, c: _fill(s, e, c, 2, newChatsPerDay=2),
    "quiet_hours": lambda s, e, c: policy(s, **QUIET | {"quietHours": quiet_now(c)}),
    "warmup": lambda s, e, c: (
        SessionEvent.objects.create(session=s, from_status="qr", to_status="connected"),
        _fill(s, e, c, 20, warmup=True),
    ),
}


@pytest.mark.parametrize("cap", sorted(CAPS))
def test_queue_false_answers_429_naming_each_cap(api, session, engine, clock, unlimited, cap):
    CAPS[cap](session, engine, clock)

    answer = api.post(f"/api/v1/sessions/{session.pk}/messages", {"to": TO, "text": "now?"}, format="json")

    assert answer.status_code == 429, answer.content
    error = answer.json()["error"]
    assert (error["code"], error["details"]["waitingFor"]) == ("sending_policy_wait", cap)
    assert cap in error["message"] and int(answer["Retry-After"]) > 60


def test_queue_false_within_the_rate_limit_alone_is_accepted(api, session, engine, clock, settings):
    settings.RATE_LIMIT_PER_MINUTE, settings.RATE_LIMIT_BURST = 2, 2
    policy(session, "off")
    queue(session, "a", "b")
    outbound.send_due(session_id=session.pk, engine=engine)

    # The minute is full, but it frees within a minute: the message is queued, not refused.
    answer = api.post(f"/api/v1/sessions/{session.pk}/messages", {"to": TO, "text": "c"}, format="json")
    assert answer.status_code == 202, answer.content


def test_usage_reports_the_hour_the_warmup_and_the_quiet_window(api, session, engine, clock, unlimited):
    SessionEvent.objects.create(session=session, from_status="qr", to_status="connected")
    talked_with(session)
    _fill(session, engine, clock, 3, perHour=10, warmup=True)
    policy(session, **QUIET | {"perHour": 10, "warmup": True, "quietHours": quiet_now(clock)})

    usage = api.get(f"/api/v1/sessions/{session.pk}/sending-policy").json()["usage"]

    assert usage["hour"] == {"used": 3, "limit": 10}
    assert usage["warmup"] == {"day": 1, "limit": 20}
    assert usage["quietUntil"].startswith((clock.at + timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M"))
