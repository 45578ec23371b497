"""`GET /api/v1/events`: pages of the log, oldest first, within the key's scope."""

from datetime import timedelta

import pytest
from django.utils import timezone

from events.log import events_prune
from events.models import Event
from events.tests.conftest import emit_received
from yesapp.events import MESSAGE_STATUS

pytestmark = pytest.mark.django_db


def test_pages_through_the_log_oldest_first_with_after_and_limit(api, make_session):
    session = make_session()
    for n in range(5):
        emit_received(session, f"m{n}")
    first = api.get("/api/v1/events", {"limit": 2}).json()
    assert [item["data"]["text"] for item in first["items"]] == ["m0", "m1"]
    assert first["total"] == 5 and first["limit"] == 2 and first["offset"] == 0
    item = first["items"][0]
    assert item["event"] == "message.received" and item["sessionId"] == str(session.pk)
    assert set(item) == {"id", "event", "sessionId", "createdAt", "data"}
    second = api.get("/api/v1/events", {"after": first["items"][-1]["id"], "limit": 2}).json()
    assert [item["data"]["text"] for item in second["items"]] == ["m2", "m3"]
    assert second["total"] == 3
    last = api.get("/api/v1/events", {"after": second["items"][-1]["id"]}).json()
    assert [item["data"]["text"] for item in last["items"]] == ["m4"]
    assert api.get("/api/v1/events", {"after": last["items"][-1]["id"]}).json()["items"] == []


def test_filters_by_session_and_types(api, make_session):
    shop, clinic = make_session("shop"), make_session("clinic")
    emit_received(shop, "a")
    emit_received(clinic, "b")
    emit_received(shop, "c", event=MESSAGE_STATUS)
    only_shop = api.get("/api/v1/events", {"session": str(shop.pk)}).json()["items"]
    assert [i["data"]["text"] for i in only_shop] == ["a", "c"]
    statuses = api.get("/api/v1/events", {"types": "message.status"}).json()["items"]
    assert [i["data"]["text"] for i in statuses] == ["c"]
    both = api.get("/api/v1/events", {"types": "message.status,message.received", "session": str(clinic.pk)})
    assert [i["data"]["text"] for i in both.json()["items"]] == ["b"]


def test_a_key_limited_to_a_session_sees_only_its_events(make_session, scoped_key):
    shop, clinic = make_session("shop"), make_session("clinic")
    emit_received(shop, "mine")
    emit_received(clinic, "not mine")
    _, client = scoped_key(shop)
    items = client.get("/api/v1/events").json()["items"]
    assert [i["data"]["text"] for i in items] == ["mine"]
    # Another session's id is answered as unknown, so ids don't leak.
    other = client.get("/api/v1/events", {"session": str(clinic.pk)})
    assert other.status_code == 404 and other.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"types": "message.received,message.typo"}, "types"),
        ({"after": "-1"}, "after"),
        ({"after": "abc"}, "after"),
        ({"limit": "501"}, "limit"),
        ({"session": "not-a-uuid"}, "session"),
    ],
)
def test_bad_filters_are_400_naming_the_field(api, query, field):
    response = api.get("/api/v1/events", query)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert field in response.json()["error"]["details"]


def test_a_position_past_the_retention_is_410(api, make_session, settings):
    session = make_session()
    for text in ("a", "b", "c"):
        emit_received(session, text)
    first, second, _ = Event.objects.values_list("id", flat=True)
    Event.objects.filter(pk__in=[first, second]).update(created_at=timezone.now() - timedelta(days=30))
    events_prune()
    gone = api.get("/api/v1/events", {"after": first})
    assert gone.status_code == 410
    assert gone.json()["error"]["code"] == "events_pruned"
    assert gone.json()["error"]["details"] == {"after": first, "prunedThrough": second}
    # From the horizon on, or from the oldest kept, nothing is missing.
    assert [i["data"]["text"] for i in api.get("/api/v1/events", {"after": second}).json()["items"]] == ["c"]
    assert [i["data"]["text"] for i in api.get("/api/v1/events").json()["items"]] == ["c"]


def test_needs_a_key_in_the_header(anon_api):
    assert anon_api.get("/api/v1/events").status_code == 401
    refused = anon_api.get("/api/v1/events/stream", {"api_key": "x" * 64})
    assert refused.status_code == 401
    assert "never in the URL" in refused.json()["error"]["message"]
