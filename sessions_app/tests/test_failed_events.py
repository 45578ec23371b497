"""Quarantined page events over the API: listed in the key's scope, retried, pruned."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from sessions_app.models import FailedEvent, FailedEventStatus, Session
from sessions_app.quarantine import MAX_PAYLOAD_CHARS, failed_event_record, failed_events_prune
from yesapp.apikeys import apikey_create


@pytest.fixture
def session(db) -> Session:
    return Session.objects.create(name="bad-events", status="connected")


def record(session, data=None, name="chat.new_message") -> FailedEvent:
    return failed_event_record(session_id=session.pk, name=name, data=data, error="MalformedEvent: no id")


def url(session, *rest) -> str:
    return "/".join([f"/api/v1/sessions/{session.pk}/failed-events", *rest])


def test_list_filters_by_status_and_pages(api, session):
    for n in range(3):
        record(session, {"n": n})
    FailedEvent.objects.filter(pk=record(session).pk).update(status=FailedEventStatus.RESOLVED)
    body = api.get(url(session), {"status": "quarantined", "limit": 2}).json()
    assert body["total"] == 3 and len(body["items"]) == 2 and body["limit"] == 2 and body["offset"] == 0
    assert {item["status"] for item in body["items"]} == {"quarantined"}
    assert api.get(url(session), {"status": "lost"}).status_code == 400
    assert api.get(url(session), {"limit": 0}).status_code == 400


def test_a_key_limited_to_other_sessions_sees_none_of_them(session):
    failed = record(session)
    mine = Session.objects.create(name="mine")
    _, raw = apikey_create(name="scoped", session_ids=[mine.pk])
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=raw)
    assert client.get(url(session)).status_code == 404
    assert client.post(url(session, str(failed.pk), "retry")).status_code == 404
    assert FailedEvent.objects.get(pk=failed.pk).status == FailedEventStatus.QUARANTINED


def test_retry_of_an_unknown_event_is_404(api, session):
    other = Session.objects.create(name="other")
    failed = record(other)
    assert api.post(url(session, str(failed.pk), "retry")).status_code == 404  # not this session's


def test_a_huge_payload_is_kept_cut_and_cannot_be_retried(api, session):
    failed = record(session, {"body": "x" * (2 * MAX_PAYLOAD_CHARS)})
    assert failed.truncated and len(failed.payload) == MAX_PAYLOAD_CHARS
    response = api.post(url(session, str(failed.pk), "retry"))
    assert response.status_code == 409 and response.json()["error"]["code"] == "failed_event_truncated"


def test_unserializable_data_is_kept_as_text(session):
    failed = record(session, {"when": timezone.now(), "raw": b"\xff"})
    assert failed.payload.startswith("{") and not failed.truncated


def test_prune_deletes_only_what_is_past_retention(session, settings):
    settings.FAILED_EVENT_RETENTION_DAYS = 30
    old, recent = record(session), record(session)
    FailedEvent.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=31))
    assert failed_events_prune() == 1
    assert list(FailedEvent.objects.values_list("pk", flat=True)) == [recent.pk]
