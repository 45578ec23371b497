"""Fixtures for the messaging tests: sessions, an isolated media folder, captured events."""

import base64
from datetime import timedelta

import pytest
from django.utils import timezone

from messaging import inbound_media, pacing
from messaging.models import Message
from messaging.services import message_send
from messaging.tests.engine_double import RecordingEngine
from sessions_app.models import Session
from yesapp.events import domain_event

# A real 1x1 PNG and the start of a real PDF: what sniffing sees.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
TO = "+33612345678"
CHAT = "33612345678@c.us"
IMG_ID = "false_33612345678@c.us_IMG1"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64 + b"\xff\xd9"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def session(db) -> Session:
    return Session.objects.create(name="main", status="connected", wid="33700000000@c.us")


@pytest.fixture
def other_session(db) -> Session:
    return Session.objects.create(name="other", status="connected", wid="33700000001@c.us")


@pytest.fixture
def engine() -> RecordingEngine:
    return RecordingEngine()


@pytest.fixture
def emitted():
    """Every domain event emitted during the test, as (event, session_id, payload)."""
    seen: list[tuple[str, object, dict]] = []

    def receiver(sender, event, session_id, payload, **kwargs):
        seen.append((event, session_id, payload))

    domain_event.connect(receiver, weak=False, dispatch_uid="messaging-tests")
    yield seen
    domain_event.disconnect(dispatch_uid="messaging-tests")


@pytest.fixture(autouse=True)
def fresh_media_check():
    """Each test looks for due media downloads afresh (the check is rate-limited per session)."""
    inbound_media._last_media_check.clear()


class TestClock:
    """messaging.pacing's clock, moved by hand: `clock.advance(seconds)`, `clock.at = datetime`."""

    def __init__(self):
        self.at = timezone.now()

    def now(self):
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)

    sleep = advance  # the send path's brief waits pass on this clock, not on the wall's


@pytest.fixture
def clock(monkeypatch) -> TestClock:
    test_clock = TestClock()
    monkeypatch.setattr(pacing.clock, "now", test_clock.now)
    monkeypatch.setattr(pacing.clock, "sleep", test_clock.sleep)
    return test_clock


@pytest.fixture
def unlimited(settings):
    settings.RATE_LIMIT_PER_MINUTE = 0


def queue(session, *texts) -> list[Message]:
    return [message_send(session=session, to=TO, text=text, queue=True)[0] for text in texts]


def statuses(event_list, event="message.status"):
    return [payload["status"] for name, _, payload in event_list if name == event]


def new_message(wa_id="false_33612345678@c.us_ABC", *, from_me=False, type="chat", body="Hi there", **extra):
    """A wa-js `chat.new_message` payload as the bridge hands it over."""
    remote = extra.pop("remote", CHAT)
    data = {
        "id": {"_serialized": wa_id, "fromMe": from_me, "remote": remote, "id": wa_id.rsplit("_", 1)[-1]},
        "from": "33700000000@c.us" if from_me else remote,
        "to": remote if from_me else "33700000000@c.us",
        "body": body,
        "type": type,
        "t": 1764230400,
        "notifyName": "Alice",
        "isNewMsg": True,
    }
    data.update(extra)
    return data


def image_message(**extra):
    return new_message(
        IMG_ID, type="image", body="/9j/4AAQthumbnail", caption="a photo", mimetype="image/png", **extra
    )
