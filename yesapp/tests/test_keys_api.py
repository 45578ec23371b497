import re
import uuid

import pytest
from rest_framework.test import APIClient

from sessions_app.models import Session
from yesapp.apikeys import apikey_authenticate, apikey_create
from yesapp.models import ApiKey
from yesapp.tests.helpers import assert_error_shape

pytestmark = pytest.mark.django_db

KEY_FIELDS = {"prefix", "name", "isAdmin", "sessions", "active", "createdAt", "lastUsedAt", "revokedAt"}


@pytest.fixture
def session() -> Session:
    return Session.objects.create(name="shop")


@pytest.fixture
def scoped_api(session) -> APIClient:
    _, raw_key = apikey_create(name="bot", session_ids=[session.pk])
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=raw_key)
    return client


def test_me_describes_the_admin_key(api, raw_api_key):
    body = api.get("/api/v1/me").json()
    assert set(body) == KEY_FIELDS
    assert body["prefix"] == raw_api_key[:8]
    assert body["isAdmin"] is True and body["sessions"] == [] and body["active"] is True


def test_me_lists_the_sessions_of_a_scoped_key(scoped_api, session):
    body = scoped_api.get("/api/v1/me").json()
    assert body["isAdmin"] is False and body["sessions"] == [str(session.pk)]


def test_list_shows_every_key_without_hash_or_key(api, session):
    revoked, _ = apikey_create(name="old")
    ApiKey.objects.filter(pk=revoked.pk).update(revoked_at="2026-01-01T00:00:00Z")
    apikey_create(name="bot", session_ids=[session.pk])
    response = api.get("/api/v1/keys")
    assert response.status_code == 200
    keys = {k["name"]: k for k in response.json()["items"]}
    assert set(keys) == {"test", "old", "bot"}
    assert all(set(k) == KEY_FIELDS for k in keys.values())
    assert keys["old"]["active"] is False and keys["old"]["revokedAt"].startswith("2026-01-01")
    assert keys["bot"]["sessions"] == [str(session.pk)]
    for key in ApiKey.objects.all():
        assert key.key_hash not in response.content.decode()


def test_create_returns_the_key_once_and_it_works(api):
    response = api.post("/api/v1/keys", {"name": "crm"}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert set(body) == KEY_FIELDS | {"key"}
    assert re.fullmatch(r"[0-9a-f]{64}", body["key"]) and body["key"].startswith(body["prefix"])
    assert body["isAdmin"] is True
    assert apikey_authenticate(body["key"]).name == "crm"
    listed = api.get("/api/v1/keys").content.decode()
    assert body["key"] not in listed


def test_create_with_sessions_makes_a_scoped_key(api, session):
    response = api.post("/api/v1/keys", {"name": "bot", "sessions": [str(session.pk)]}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["isAdmin"] is False and body["sessions"] == [str(session.pk)]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "bot", "sessions": ["not-a-uuid"]}, "sessions"),
        ({"name": "bot", "sessions": []}, "sessions"),
        ({"name": "bot", "sessions": [str(uuid.uuid4())]}, "sessions"),
    ],
)
def test_create_with_bad_input_is_400_and_stores_nothing(api, payload, field):
    error = assert_error_shape(api.post("/api/v1/keys", payload, format="json"), 400, "validation_error")
    assert field in error["details"]
    assert ApiKey.objects.count() == 1  # only the fixture's key


def test_revoke_by_prefix_is_204_and_the_key_stops_working(api):
    key, raw_key = apikey_create(name="crm")
    assert api.delete(f"/api/v1/keys/{key.prefix}").status_code == 204
    assert apikey_authenticate(raw_key) is None
    assert_error_shape(api.delete(f"/api/v1/keys/{key.prefix}"), 404, "not_found")


def test_revoke_unknown_prefix_is_404(api):
    assert_error_shape(api.delete("/api/v1/keys/00000000"), 404, "not_found")


def test_revoke_too_short_prefix_is_400(api):
    assert_error_shape(api.delete("/api/v1/keys/ab"), 400, "validation_error")


def test_scoped_key_cannot_manage_keys(scoped_api):
    assert_error_shape(scoped_api.get("/api/v1/keys"), 403, "permission_denied")
    assert_error_shape(
        scoped_api.post("/api/v1/keys", {"name": "x"}, format="json"), 403, "permission_denied"
    )
    admin, _ = apikey_create(name="admin")
    assert_error_shape(scoped_api.delete(f"/api/v1/keys/{admin.prefix}"), 403, "permission_denied")
    assert ApiKey.objects.get(pk=admin.pk).is_active


def test_key_endpoints_need_a_key(anon_api):
    for method, path in [
        ("get", "/api/v1/keys"),
        ("post", "/api/v1/keys"),
        ("delete", "/api/v1/keys/abcd1234"),
    ]:
        assert_error_shape(getattr(anon_api, method)(path), 401)
