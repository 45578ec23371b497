"""The sending policy through every real part: API → engine worker → Chromium on the sandbox
page (WPP.chat.markIsRead, markIsComposing, queryWidExists) → what the contact's phone saw.

Times here are real but short: the worker types fast (SENDING_TYPING_* below), so no wait is
longer than a second. Waits that last until tomorrow or the end of quiet hours are checked as
`notBefore`/`waitingFor`; their release with a moved clock is in test_pacing.py."""

from datetime import UTC, datetime, timedelta

import pytest

from messaging.models import Message
from sessions_app.tests.helpers import create_and_link, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.slow]
CONTACT = "+33698765432"
FAST_TYPIST = {
    "SENDING_TYPING_CHARS_PER_SECOND": "40",
    "SENDING_TYPING_MIN_SECONDS": "0.2",
    "SENDING_TYPING_MAX_SECONDS": "1.0",
    "SENDING_READ_PAUSE_SECONDS": "0.3",
}


@pytest.fixture
def linked(api, engine_worker):
    engine_worker("engine-a", **FAST_TYPIST)
    return create_and_link(api, name="pacing")


def send(api, session, to, text) -> str:
    answer = api.post(
        f"/api/v1/sessions/{session.id}/messages", {"to": to, "text": text, "queue": True}, format="json"
    )
    assert answer.status_code == 202, answer.content
    return answer.json()["messageId"]


def message(api, session, message_id) -> dict:
    return api.get(f"/api/v1/sessions/{session.id}/messages/{message_id}").json()


def settled(api, session, message_id, statuses=("sent", "delivered", "read", "failed")) -> dict:
    return wait_for(
        lambda: (m := message(api, session, message_id))["status"] in statuses and m, 30, what="settled"
    )


def policy(api, session, **fields) -> dict:
    answer = api.patch(f"/api/v1/sessions/{session.id}/sending-policy", fields, format="json")
    assert answer.status_code == 200, answer.content
    return answer.json()


def timeline(api, session, phone) -> list[dict]:
    chat = f"{phone.lstrip('+')}@c.us"
    return api.get(f"/api/v1/sandbox/sessions/{session.id}/chats/{chat}").json()["timeline"]


def test_natural_reads_then_types_before_every_text_for_longer_the_longer_it_is(api, linked):
    api.post(
        f"/api/v1/sandbox/sessions/{linked.id}/inbound", {"from": CONTACT, "text": "open?"}, format="json"
    )
    wait_for(lambda: Message.objects.filter(session=linked, direction="inbound").exists(), 20, what="inbound")
    policy(api, linked, preset="natural", jitter=[0.1, 0.3])

    short = send(api, linked, CONTACT, "Yes")
    long = send(api, linked, CONTACT, "Yes, we are open until seven tonight!!")
    for message_id in (short, long):
        settled(api, linked, message_id)

    seen = [e for e in timeline(api, linked, CONTACT) if e["kind"] != "paused"]
    assert [(e["kind"], e["from"]) for e in seen] == [
        ("message", "contact"),
        ("read", None),
        ("typing", None),
        ("message", "session"),
        ("typing", None),
        ("message", "session"),
    ]
    # The typing time grows with the text, and the phone saw "typing…" for at least that long.
    # (What it saw is real time, stretched on a loaded machine: only its lower bound is checked.)
    planned = [Message.objects.get(pk=message_id).pacing["typing"] for message_id in (short, long)]
    assert 0.2 <= planned[0] < planned[1] <= 1.0
    shown = [seen[2]["seconds"], seen[4]["seconds"]]
    assert all(seconds >= 0.9 * want for seconds, want in zip(shown, planned, strict=True)), (shown, planned)


def test_a_first_message_types_in_a_new_chat_and_one_to_a_number_not_on_whatsapp_fails(api, linked):
    policy(api, linked, preset="natural")
    absent = "+33612340000"  # the sandbox's numbers ending 0000 are not on WhatsApp

    failed = settled(api, linked, send(api, linked, absent, "Hello?"))

    assert (failed["status"], failed["error"]["code"]) == ("failed", "not_on_whatsapp")
    outbox = api.get(f"/api/v1/sandbox/sessions/{linked.id}/outbox").json()["messages"]
    assert outbox == []

    # A number on WhatsApp that never wrote: the page opens the chat (WPP.chat.find) and types.
    newcomer = "+33612345601"
    settled(api, linked, send(api, linked, newcomer, "Hello, we met yesterday"))
    seen = [(e["kind"], e["from"]) for e in timeline(api, linked, newcomer) if e["kind"] != "paused"]
    assert seen == [("typing", None), ("message", "session")]


def test_caps_and_quiet_hours_hold_messages_with_their_reason(api, linked):
    policy(api, linked, preset="off", newChatsPerDay=3)
    sent = [send(api, linked, f"+3361111000{n}", f"first contact {n}") for n in range(1, 5)]

    for message_id in sent[:3]:
        assert settled(api, linked, message_id)["status"] != "failed"
    fourth = wait_for(
        lambda: (m := message(api, linked, sent[3]))["waitingFor"] and m, 10, what="the fourth held"
    )
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT00:00:00Z")
    assert (fourth["status"], fourth["waitingFor"], fourth["notBefore"]) == (
        "queued",
        "new_chats_cap",
        tomorrow,
    )
    events = api.get("/api/v1/events", {"limit": 100}).json()["items"]
    held = [
        e for e in events if e["event"] == "message.status" and e["data"]["waitingFor"] == "new_chats_cap"
    ]
    assert [e["data"]["messageId"] for e in held] == [sent[3]]

    now = datetime.now(UTC)
    quiet = {
        "start": (now - timedelta(hours=1)).strftime("%H:%M"),
        "end": (now + timedelta(hours=1)).strftime("%H:%M"),
        "timeZone": "UTC",
    }
    policy(api, linked, quietHours=quiet)
    night = send(api, linked, "+33611110001", "sleep well")
    waiting = wait_for(lambda: (m := message(api, linked, night))["waitingFor"] and m, 10, what="quiet")
    assert (waiting["status"], waiting["waitingFor"]) == ("queued", "quiet_hours")

    policy(api, linked, quietHours=None)  # the window is over: what waited goes
    assert settled(api, linked, night)["status"] in ("sent", "delivered", "read")
