"""WAHA's session endpoints through DRF with real YesApp keys: shapes, names, scopes, errors."""

import pytest

from sessions_app.models import Session
from yesapp.apikeys import apikey_create

pytestmark = pytest.mark.django_db


def waha_error(response, status):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"statusCode", "message", "error"}, body
    assert body["statusCode"] == status
    return body


def test_list_is_a_bare_array_in_wahas_shape_and_hides_stopped_unless_all(api):
    Session.objects.create(name="shop", status="connected", phone="+33612345678", push_name="Shop")
    Session.objects.create(name="idle", status="stopped")
    listed = api.get("/api/sessions").json()
    assert listed == [
        {
            "name": "shop",
            "status": "WORKING",
            "config": {"webhooks": []},
            "me": {"id": "33612345678@c.us", "pushName": "Shop"},
            "engine": {"engine": "WPP"},
        }
    ]
    everything = api.get("/api/sessions", {"all": "true"}).json()
    assert [(s["name"], s["status"], s["me"]) for s in everything] == [
        ("idle", "STOPPED", None),
        ("shop", "WORKING", {"id": "33612345678@c.us", "pushName": "Shop"}),
    ]


@pytest.mark.parametrize(
    "status, waha",
    [("starting", "STARTING"), ("disconnected", "STARTING"), ("qr", "SCAN_QR_CODE"), ("failed", "FAILED")],
)
def test_statuses_map_to_wahas(api, status, waha):
    Session.objects.create(name="s", status=status)
    assert api.get("/api/sessions/s").json()["status"] == waha


def test_create_starts_by_default_and_start_false_leaves_it_stopped(api):
    created = api.post("/api/sessions", {"name": "shop"}, format="json")
    assert created.status_code == 201, created.content
    assert created.json() == {"name": "shop", "status": "STARTING", "config": {"webhooks": []}}
    assert Session.objects.get(name="shop").desired_state == "running"
    idle = api.post("/api/sessions", {"name": "later", "start": False}, format="json")
    assert idle.status_code == 201 and idle.json()["status"] == "STOPPED"
    assert Session.objects.get(name="later").desired_state == "stopped"
    default = api.post("/api/sessions", {}, format="json")
    assert default.status_code == 201 and default.json()["name"] == "default"


@pytest.mark.parametrize("name", ["v1", "schema", "docs", "V1", "sessions", "contacts"])
def test_names_that_collide_with_yesapps_paths_are_refused(api, name):
    body = waha_error(api.post("/api/sessions", {"name": name}, format="json"), 400)
    assert "reserved" in body["message"] and f"/api/{name}/" in body["message"]
    assert not Session.objects.exists()


def test_names_that_cannot_sit_in_a_url_are_refused(api):
    body = waha_error(api.post("/api/sessions", {"name": "a/b"}, format="json"), 400)
    assert "URL" in body["message"]


def test_a_taken_name_is_a_409_in_wahas_shape(api):
    Session.objects.create(name="shop")
    waha_error(api.post("/api/sessions", {"name": "shop"}, format="json"), 409)


def test_no_key_and_a_wrong_key_are_401_in_wahas_shape(anon_api):
    waha_error(anon_api.get("/api/sessions"), 401)
    anon_api.credentials(HTTP_X_API_KEY="nope")
    waha_error(anon_api.get("/api/sessions"), 401)


def test_the_x_api_key_header_spelled_as_waha_clients_do_works(client, raw_api_key):
    assert client.get("/api/sessions", headers={"X-Api-Key": raw_api_key}).status_code == 200


def test_a_key_limited_to_some_sessions_sees_only_those_and_cannot_create(anon_api):
    mine = Session.objects.create(name="mine", status="connected")
    Session.objects.create(name="theirs", status="connected")
    _, raw = apikey_create(name="scoped", is_admin=False, session_ids=[mine.pk])
    anon_api.credentials(HTTP_X_API_KEY=raw)
    assert [s["name"] for s in anon_api.get("/api/sessions").json()] == ["mine"]
    waha_error(anon_api.get("/api/sessions/theirs"), 404)
    waha_error(anon_api.post("/api/sessions", {"name": "new"}, format="json"), 403)
    waha_error(anon_api.delete("/api/sessions/mine"), 403)


def test_unknown_session_is_wahas_404(api):
    body = waha_error(api.get("/api/sessions/ghost"), 404)
    assert "ghost" in body["message"]
    waha_error(api.get("/api/ghost/auth/qr"), 404)


def test_me_is_null_until_linked(api):
    Session.objects.create(name="s", status="qr")
    response = api.get("/api/sessions/s/me")
    assert response.status_code == 200 and response.json() is None


def test_qr_raw_image_and_json_image(api):
    Session.objects.create(name="s", status="qr", qr_raw="2@abc,def")
    assert api.get("/api/s/auth/qr", {"format": "raw"}).json() == {"value": "2@abc,def"}
    as_json = api.get("/api/s/auth/qr", HTTP_ACCEPT="application/json").json()
    assert as_json["mimetype"] == "image/png" and len(as_json["data"]) > 100
    png = api.get("/api/s/auth/qr", HTTP_ACCEPT="image/png")
    assert png.status_code == 200 and png["Content-Type"] == "image/png"
    assert png.content.startswith(b"\x89PNG")


def test_qr_outside_scan_status_is_422(api):
    Session.objects.create(name="s", status="connected")
    body = waha_error(api.get("/api/s/auth/qr"), 422)
    assert "WORKING" in body["message"]


def test_stop_and_start_are_idempotent_as_in_waha(api):
    Session.objects.create(name="s", status="stopped", desired_state="stopped")
    stopped = api.post("/api/sessions/s/stop")
    assert stopped.status_code == 201 and stopped.json()["status"] == "STOPPED"
    started = api.post("/api/sessions/s/start")
    assert started.status_code == 201 and started.json()["status"] == "STARTING"
    again = api.post("/api/sessions/s/start")
    assert again.status_code == 201 and again.json()["status"] == "STARTING"


def test_delete_removes_the_session(api):
    Session.objects.create(name="s", status="stopped", desired_state="stopped")
    response = api.delete("/api/sessions/s")
    assert response.status_code == 200 and not Session.objects.exists()


def test_logout_of_an_unlinked_session_is_409(api):
    Session.objects.create(name="s", status="qr")
    waha_error(api.post("/api/sessions/s/logout"), 409)


def test_yesapps_own_paths_still_answer_yesapps_shapes(api):
    response = api.get("/api/v1/sessions")
    assert response.status_code == 200 and "items" in response.json()


def test_config_webhooks_become_the_sessions_waha_webhooks(api, settings, openapi_schema):
    from webhooks.models import WebhookConfig

    settings.WEBHOOK_ALLOW_PRIVATE = False
    hook = {
        "url": "https://93.184.215.14/a",
        "events": ["message", "session.status"],
        "hmac": {"key": "a-long-random-secret-key"},
        "customHeaders": [{"name": "X-Shop", "value": "1"}],
    }
    created = api.post("/api/sessions", {"name": "shop", "config": {"webhooks": [hook]}}, format="json")
    assert created.status_code == 201, created.content
    [config] = WebhookConfig.objects.all()
    assert (config.format, config.url, config.events) == ("waha", hook["url"], ["session.status", "message"])
    assert config.secret == "a-long-random-secret-key" and config.headers == {"X-Shop": "1"}
    shown = api.get("/api/sessions/shop").json()["config"]["webhooks"]
    assert shown == [
        {
            "url": hook["url"],
            "events": ["session.status", "message"],
            "hmac": None,
            "retries": None,
            "customHeaders": [{"name": "X-Shop", "value": "1"}],
        }
    ]
    second = {"url": "https://93.184.215.14/b", "events": ["*"]}
    updated = api.put("/api/sessions/shop", {"config": {"webhooks": [hook, second]}}, format="json")
    assert updated.status_code == 200, updated.content
    assert [(c.url, c.events) for c in WebhookConfig.objects.order_by("id")] == [
        (hook["url"], ["session.status", "message"]),
        (second["url"], []),
    ]
    assert WebhookConfig.objects.get(url=hook["url"]).pk == config.pk  # changed in place
    api.put("/api/sessions/shop", {}, format="json")  # no config: left as they are
    assert WebhookConfig.objects.count() == 2
    # No body at all is `{}`, and the schema says the body is optional (the fuzzer found it).
    assert api.put("/api/sessions/shop").status_code == 200
    assert not openapi_schema["paths"]["/api/sessions/{session}"]["put"]["requestBody"].get("required")
    assert WebhookConfig.objects.count() == 2
    api.put("/api/sessions/shop", {"config": {}}, format="json")
    assert not WebhookConfig.objects.exists()


def test_bad_webhooks_refuse_the_whole_create(api, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    private = {"url": "http://127.0.0.1:9/hook", "events": ["message"]}
    waha_error(
        api.post("/api/sessions", {"name": "shop", "config": {"webhooks": [private]}}, format="json"), 400
    )
    unknown = {"url": "https://93.184.215.14/a", "events": ["message.received"]}
    body = waha_error(
        api.post("/api/sessions", {"name": "shop", "config": {"webhooks": [unknown]}}, format="json"), 400
    )
    assert "message.received" in body["message"]
    assert not Session.objects.exists()


@pytest.mark.parametrize(
    "config",
    [
        {"webhooks": [None]},
        {"webhooks": [{"url": "https://93.184.215.14/a", "customHeaders": [None]}]},
    ],
)
def test_a_null_webhook_or_header_is_a_400_and_a_null_list_is_no_list(api, config):
    Session.objects.create(name="shop", status="connected")
    body = waha_error(api.put("/api/sessions/shop", {"config": config}, format="json"), 400)
    assert "may not be null" in body["message"]
    waha_error(api.post("/api/sessions", {"name": "new", "config": config}, format="json"), 400)
    assert not Session.objects.filter(name="new").exists()
    # A null list is WAHA's "none given", as the field is nullable in its description.
    nothing = api.put("/api/sessions/shop", {"config": {"webhooks": None}}, format="json")
    assert nothing.status_code == 200 and nothing.json()["config"] == {"webhooks": []}
