"""Fixtures for the messaging tests: sessions, an isolated media folder, captured events."""

import base64

import pytest

from messaging.tests.engine_double import RecordingEngine
from sessions_app.models import Session
from yesapp.events import domain_event

# A real 1x1 PNG and the start of a real PDF: what sniffing sees.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
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
