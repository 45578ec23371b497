import pytest

from sessions_app.models import Session, SessionEvent, SessionStatus
from sessions_app.services import InvalidTransition, session_set_status
from yesapp.events import domain_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def emitted():
    seen = []

    def receiver(sender, event, session_id, payload, **kwargs):
        seen.append((event, session_id, payload))

    domain_event.connect(receiver)
    yield seen
    domain_event.disconnect(receiver)


def make_session(status=SessionStatus.STARTING, **fields):
    return Session.objects.create(name=fields.pop("name", "s1"), status=status, **fields)


def test_a_change_records_an_event_and_emits_session_status(emitted):
    session = make_session()
    session_set_status(session_id=session.id, status=SessionStatus.QR, reason="waiting", qr_raw="2@abc")
    session.refresh_from_db()
    assert session.status == SessionStatus.QR and session.qr_raw == "2@abc"
    event = SessionEvent.objects.get(session=session)
    assert (event.from_status, event.to_status, event.reason) == ("starting", "qr", "waiting")
    assert emitted == [
        ("session.status", session.id, {"status": "qr", "previousStatus": "starting", "reason": "waiting"})
    ]


def test_same_status_updates_fields_without_an_event(emitted):
    session = make_session(status=SessionStatus.QR, qr_raw="old")
    session_set_status(session_id=session.id, status=SessionStatus.QR, qr_raw="new")
    session.refresh_from_db()
    assert session.qr_raw == "new"
    assert not SessionEvent.objects.exists() and emitted == []


def test_a_restart_in_the_same_status_is_recorded_but_not_emitted(emitted):
    session = make_session(status=SessionStatus.STARTING)
    session_set_status(
        session_id=session.id, status=SessionStatus.STARTING, reason="browser problem", record_same=True
    )
    event = SessionEvent.objects.get(session=session)
    assert (event.from_status, event.to_status, event.reason) == ("starting", "starting", "browser problem")
    assert emitted == []


def test_connecting_clears_the_qr_and_stamps_the_connection_time():
    session = make_session(status=SessionStatus.QR, qr_raw="2@abc")
    session_set_status(session_id=session.id, status=SessionStatus.CONNECTED, phone="+33612345678")
    session.refresh_from_db()
    assert session.qr_raw == "" and session.qr_issued_at is None
    assert session.last_connected_at is not None and session.phone == "+33612345678"


@pytest.mark.parametrize(
    ("start", "target"),
    [("stopped", "connected"), ("stopped", "qr"), ("failed", "connected"), ("stopped", "disconnected")],
)
def test_impossible_transitions_are_refused_and_change_nothing(start, target, emitted):
    session = make_session(status=start)
    with pytest.raises(InvalidTransition):
        session_set_status(session_id=session.id, status=target)
    session.refresh_from_db()
    assert session.status == start and emitted == [] and not SessionEvent.objects.exists()


@pytest.mark.parametrize("start", [s for s in SessionStatus.values])
def test_any_status_may_fail_or_stop(start):
    for target in ("failed", "stopped"):
        session = make_session(status=start, name=f"{start}-{target}")
        session_set_status(session_id=session.id, status=target, reason="x")
        session.refresh_from_db()
        assert session.status == target


def test_unknown_field_is_a_programming_error():
    session = make_session()
    with pytest.raises(ValueError):
        session_set_status(session_id=session.id, status="qr", name="hijack")


def test_a_deleted_session_gives_none():
    import uuid

    assert session_set_status(session_id=uuid.uuid4(), status="qr") is None
