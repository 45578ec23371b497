"""The session page's card of page events the engine could not store."""

from django.test import Client
from django.urls import reverse

from dashboard.tests.conftest import sign_in_with_key
from sessions_app.models import FailedEvent, FailedEventStatus
from sessions_app.quarantine import failed_event_record

FETCH = {"HTTP_X_REQUESTED_WITH": "fetch"}


def quarantined(session, **fields) -> FailedEvent:
    failed = failed_event_record(
        session_id=session.pk, name="chat.new_message", data={"id": None}, error="MalformedEvent: no id"
    )
    FailedEvent.objects.filter(pk=failed.pk).update(**fields)
    failed.refresh_from_db()
    return failed


def test_the_session_page_lists_quarantined_events_with_a_retry_button(admin_client, make_session):
    session = make_session("bad-events")
    failed = quarantined(session)
    resolved = quarantined(session, status=FailedEventStatus.RESOLVED)
    html = admin_client.get(reverse("dashboard:session", args=[session.pk])).content.decode()
    assert "Events not stored (1)" in html and "MalformedEvent: no id" in html
    assert reverse("dashboard:failed-event-retry", args=[session.pk, failed.pk]) in html
    assert reverse("dashboard:failed-event-retry", args=[session.pk, resolved.pk]) not in html


def test_no_card_without_failed_events(admin_client, make_session):
    session = make_session("all-good")
    html = admin_client.get(reverse("dashboard:session", args=[session.pk])).content.decode()
    assert "Events not stored" not in html


def test_retry_marks_the_event_retrying_and_a_resolved_one_is_refused(admin_client, make_session):
    session = make_session("bad-events")
    failed = quarantined(session)
    url = reverse("dashboard:failed-event-retry", args=[session.pk, failed.pk])
    response = admin_client.post(url, **FETCH)
    assert response.json()["ok"] is True
    assert FailedEvent.objects.get(pk=failed.pk).status == FailedEventStatus.RETRYING
    FailedEvent.objects.filter(pk=failed.pk).update(status=FailedEventStatus.RESOLVED)
    assert admin_client.post(url, **FETCH).status_code == 409


def test_another_keys_session_events_are_404(scoped_key):
    raw, mine, other = scoped_key
    failed = quarantined(other)
    client = Client()
    sign_in_with_key(client, raw)
    url = reverse("dashboard:failed-event-retry", args=[other.pk, failed.pk])
    assert client.post(url, **FETCH).status_code == 404
    assert FailedEvent.objects.get(pk=failed.pk).status == FailedEventStatus.QUARANTINED
