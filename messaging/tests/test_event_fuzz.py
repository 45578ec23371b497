"""Hostile page events through every real part: the sandbox page emits them as WhatsApp Web
would (POST .../page-events), the bridge reads them in real Chromium, the real actor in a
real engine worker stores or quarantines each one. Whatever arrives, the session stays
connected, every well-formed message is stored exactly once, every event without a usable
id is quarantined, and nothing is both stored and quarantined.

FUZZ_EVENTS_EXAMPLES sets the number of batches (default 15)."""

import itertools
import json
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from messaging.models import Message
from sessions_app.models import FailedEvent, SessionStatus
from sessions_app.tests.helpers import create_and_link, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.slow]

EXAMPLES = int(os.environ.get("FUZZ_EVENTS_EXAMPLES", "15"))
CONTACT_CHAT = "4915112345678@c.us"
_keys = itertools.count(1)

# JSON values as a page could carry them. No NUL and no lone surrogates: the sandbox stores
# what it emits in the database, which refuses those (WhatsApp's own payloads have neither).
text = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=40)
numbers = st.integers(-(10**30), 10**30) | st.floats(allow_nan=False, allow_infinity=False)
scalars = st.none() | st.booleans() | numbers | text
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=8,
)
odd_numbers = st.sampled_from([0, -1, 1_790_000_000_123, 2**63, 10**30, 1e300])
ODD_FIELDS = ["t", "size", "type", "notifyName", "caption", "mimetype", "filename", "author", "to"]
MEDIA_TYPES = ("image", "video", "audio", "ptt", "document", "sticker")


def unique_id() -> str:
    return f"false_{CONTACT_CHAT}_3AFUZZ{next(_keys):014d}"


def good_message(wa_id: str) -> dict:
    return {"id": wa_id, "from": CONTACT_CHAT, "type": "chat", "body": f"good {wa_id}", "t": 1_790_000_000}


def is_int_like(value) -> bool:
    try:
        int(value)
    except (TypeError, ValueError, OverflowError):
        return False
    return True


def good_event():
    return st.builds(lambda: ("good", unique_id(), {"name": "chat.new_message"}))


@st.composite
def odd_event(draw):
    """A usable id with hostile values everywhere else (a body of up to a megabyte)."""
    fields = draw(st.dictionaries(st.sampled_from(ODD_FIELDS), json_values | odd_numbers, max_size=5))
    fields["body"] = draw(json_values | st.just("x" * 1_000_000))
    # A media type makes the engine download a file the sandbox never had: a failure it
    # records and retries later, which is another test's subject.
    if fields.get("type") in MEDIA_TYPES:
        fields["type"] = "chat"
    return ("odd", unique_id(), {"name": "chat.new_message", "data": fields})


@st.composite
def broken_event(draw):
    """No usable id (not an object, or an id that is no string), or a receipt with no number."""
    if draw(st.booleans()):
        bad_ack = draw(text.filter(lambda v: not is_int_like(v)))
        data = draw(scalars | st.lists(json_values, max_size=2) | st.just({"ack": bad_ack, "ids": []}))
        return ("broken", None, {"name": "chat.msg_ack_change", "data": data})
    bad_id = st.none() | st.just("") | st.integers() | st.just({}) | st.just({"_serialized": 5})
    rest = st.dictionaries(st.sampled_from(["body", "t", "from"]), json_values, max_size=2)
    with_bad_id = st.builds(lambda bad, others: {**others, "id": bad}, bad_id, rest)
    data = draw(scalars | st.lists(json_values, max_size=3) | with_bad_id | rest)
    return ("broken", None, {"name": "chat.new_message", "data": data})


@st.composite
def unknown_event(draw):
    """A name the engine does not listen to: the bridge never sees it."""
    return (
        "unknown",
        None,
        {"name": draw(st.sampled_from(["chat.fuzz_a", "chat.fuzz_b"])), "data": draw(json_values)},
    )


events = st.lists(
    st.one_of(good_event(), odd_event(), broken_event(), unknown_event()), min_size=1, max_size=6
)


def emit(api, session, event: dict) -> None:
    response = api.post(f"/api/v1/sandbox/sessions/{session.id}/page-events", event, format="json")
    assert response.status_code == 202, response.content


def test_hostile_page_events_never_stop_the_session_and_lose_no_good_message(api, engine_worker):
    engine_worker("engine-a")
    session = create_and_link(api, name="fuzz")

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(batch=events)
    def batch_is_stored_or_quarantined(batch):
        quarantined_before = FailedEvent.objects.filter(session=session).count()
        for kind, wa_id, event in batch:
            if kind == "good":
                event = {**event, "data": good_message(wa_id)}
            elif kind == "odd":
                event = {**event, "data": {**event["data"], "id": wa_id}}
            emit(api, session, event)
        sentinel = unique_id()
        emit(api, session, {"name": "chat.new_message", "data": good_message(sentinel)})
        wait_for(
            lambda: Message.objects.filter(session=session, wa_id=sentinel).exists(),
            60,
            what="the batch handled (the sentinel after it stored)",
        )

        odd_quarantined = 0
        for kind, wa_id, event in batch:
            stored = Message.objects.filter(session=session, wa_id=wa_id).count() if wa_id else 0
            kept = (
                FailedEvent.objects.filter(session=session, payload__contains=json.dumps(wa_id)).count()
                if wa_id
                else 0
            )
            if kind == "good":
                assert (stored, kept) == (1, 0), event
            elif kind == "odd":
                assert (stored, kept) in ((1, 0), (0, 1)), (event, stored, kept)
                odd_quarantined += kept
        broken = sum(1 for kind, _, _ in batch if kind == "broken")
        quarantined = FailedEvent.objects.filter(session=session).count() - quarantined_before
        assert quarantined == broken + odd_quarantined, batch
        assert not FailedEvent.objects.filter(session=session, name__startswith="chat.fuzz_").exists()
        session.refresh_from_db()
        assert session.status == SessionStatus.CONNECTED, session.last_error

    batch_is_stored_or_quarantined()
