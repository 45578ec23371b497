"""Every `/api/v1/` list answers in one envelope, `{items, total, limit, offset}` (yesapp/api/
envelope.py); lists that had another shape keep their old fields for one release."""

import pytest

from sessions_app.models import Session, SessionEvent
from yesapp.apikeys import apikey_create

pytestmark = pytest.mark.django_db

ENVELOPE = {"items", "total", "limit", "offset"}
# The old fields kept for one release, per list (docs/API_REFERENCE.md, "Lists").
DEPRECATED = {
    "/api/v1/sessions": set(),
    "/api/v1/sessions/{id}/events": set(),
    "/api/v1/keys": set(),
    "/api/v1/sessions/{id}/messages": {"messages"},
    "/api/v1/sessions/{id}/webhook/deliveries": {"count", "results"},
    "/api/v1/sandbox/sessions/{id}/outbox": {"messages"},
    "/api/v1/logs": {"records", "count"},
}


@pytest.fixture
def session(db) -> Session:
    session = Session.objects.create(name="listed", sandbox=True)
    for n in range(3):
        SessionEvent.objects.create(session=session, from_status="starting", to_status="qr", reason=f"#{n}")
    return session


@pytest.mark.parametrize("path", sorted(DEPRECATED))
def test_every_list_answers_the_envelope(api, session, path):
    response = api.get(path.replace("{id}", str(session.pk)))
    assert response.status_code == 200, response.content
    body = response.json()
    assert isinstance(body, dict) and set(body) == ENVELOPE | DEPRECATED[path]
    assert isinstance(body["items"], list) and body["total"] >= len(body["items"])
    assert isinstance(body["limit"], int) and body["offset"] == 0
    for old in DEPRECATED[path] & {"messages", "results", "records"}:
        assert body[old] == body["items"]


def test_the_schema_documents_the_envelope_and_no_bare_array(api, openapi_schema):
    schema = openapi_schema
    components = schema["components"]["schemas"]
    for path, operations in schema["paths"].items():
        if not path.startswith("/api/v1/"):
            continue  # the compatibility facades answer in their peers' shapes (WAHA's bare arrays)
        answer = operations.get("get", {}).get("responses", {}).get("200", {})
        body = answer.get("content", {}).get("application/json", {}).get("schema", {})
        if "$ref" in body:
            body = components[body["$ref"].rsplit("/", 1)[1]]
        assert body.get("type") != "array", f"{path} answers a bare array"
        key = path.replace("{session_id}", "{id}")
        if key in DEPRECATED:
            assert ENVELOPE | DEPRECATED[key] == set(body["properties"]), path


def test_sessions_keys_and_events_page_with_limit_and_offset(api, session):
    for n in range(3):
        Session.objects.create(name=f"more-{n}")
        apikey_create(name=f"key-{n}")
    sessions = api.get("/api/v1/sessions", {"limit": 2, "offset": 1}).json()
    assert (sessions["total"], sessions["limit"], sessions["offset"]) == (4, 2, 1)
    assert [s["name"] for s in sessions["items"]] == ["more-0", "more-1"]
    keys = api.get("/api/v1/keys", {"limit": 3}).json()
    assert keys["total"] == 4 and len(keys["items"]) == 3
    events = api.get(f"/api/v1/sessions/{session.pk}/events", {"limit": 1, "offset": 1}).json()
    assert events["total"] == 3 and [e["reason"] for e in events["items"]] == ["#1"]
    assert api.get("/api/v1/sessions", {"limit": 0}).status_code == 400
    assert api.get("/api/v1/keys", {"offset": -1}).status_code == 400
