import io
from pathlib import Path

import pytest
import zxingcpp
from django.conf import settings
from PIL import Image

from sessions_app.models import DesiredState, Session, SessionEvent, SessionStatus
from yesapp.apikeys import apikey_create

pytestmark = pytest.mark.django_db
URL = "/api/v1/sessions"


def decode_qr(png: bytes) -> str:
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert results, "no QR code found in the PNG"
    return results[0].text


def test_create_starts_the_session_and_records_why(api):
    response = api.post(URL, {"name": "support", "sandbox": True}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "support" and body["sandbox"] is True
    assert body["status"] == "starting" and body["desiredState"] == "running"
    assert SessionEvent.objects.get(session_id=body["id"]).reason == "created"


def test_duplicate_name_is_409_and_keeps_the_first(api):
    assert api.post(URL, {"name": "one"}, format="json").status_code == 201
    response = api.post(URL, {"name": "one"}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "name_taken"
    assert Session.objects.count() == 1


@pytest.mark.parametrize(
    "body", [{}, {"name": ""}, {"name": "x" * 101}, {"name": "a", "sandbox": "maybe"}, {"name": ["a"]}, []]
)
def test_bad_create_input_is_400_and_stores_nothing(api, body):
    response = api.post(URL, body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert not Session.objects.exists()


def test_malformed_json_is_400(api):
    response = api.generic("POST", URL, "{not json", content_type="application/json")
    assert response.status_code == 400 and "error" in response.json()


def test_sandbox_session_refused_when_the_sandbox_is_off(api, settings):
    settings.SANDBOX_ENABLED = False
    assert api.post(URL, {"name": "s", "sandbox": True}, format="json").status_code == 400


def test_list_get_and_filter_by_status(api):
    a = Session.objects.create(name="a", status=SessionStatus.CONNECTED)
    Session.objects.create(name="b", status=SessionStatus.STOPPED)
    assert [s["name"] for s in api.get(URL).json()["items"]] == ["a", "b"]
    assert [s["name"] for s in api.get(URL, {"status": "connected"}).json()["items"]] == ["a"]
    assert api.get(URL, {"status": "sleepy"}).status_code == 400
    assert api.get(f"{URL}/{a.id}").json()["status"] == "connected"


def test_unknown_and_malformed_ids_are_404_json(api):
    for path in (f"{URL}/7d1c8d9e-0000-4000-8000-000000000000", f"{URL}/not-a-uuid", f"{URL}/123/start"):
        response = api.get(path) if "start" not in path else api.post(path)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"


def test_a_scoped_key_sees_only_its_sessions_and_gets_404_for_others(anon_api):
    mine = Session.objects.create(name="mine")
    other = Session.objects.create(name="other")
    _, raw = apikey_create(name="scoped", is_admin=False, session_ids=[mine.id])
    anon_api.credentials(HTTP_X_API_KEY=raw)
    assert [s["name"] for s in anon_api.get(URL).json()["items"]] == ["mine"]
    assert anon_api.get(f"{URL}/{other.id}").status_code == 404
    assert anon_api.post(f"{URL}/{other.id}/stop").status_code == 404
    assert anon_api.post(URL, {"name": "new"}, format="json").status_code == 403
    assert anon_api.delete(f"{URL}/{mine.id}").status_code == 403
    assert Session.objects.count() == 2


def test_qr_is_409_unless_waiting_for_a_scan(api):
    session = Session.objects.create(name="s", status=SessionStatus.CONNECTED)
    response = api.get(f"{URL}/{session.id}/qr")
    assert response.status_code == 409
    assert response.json()["error"]["details"]["status"] == "connected"
    response = api.get(f"{URL}/{session.id}/qr", HTTP_ACCEPT="image/png")
    assert response.status_code == 409 and response.json()["error"]["code"] == "not_waiting_for_scan"


def test_qr_as_json_and_png_decode_to_the_raw_code(api):
    raw = "2@Zm9vYmFy,c2VjcmV0a2V5,aWRlbnRpdHk=,YWR2"
    session = Session.objects.create(name="s", status=SessionStatus.QR, qr_raw=raw)
    body = api.get(f"{URL}/{session.id}/qr").json()
    assert body["raw"] == raw and body["status"] == "qr"
    import base64

    assert decode_qr(base64.b64decode(body["qr"].split(",", 1)[1])) == raw
    response = api.get(f"{URL}/{session.id}/qr", HTTP_ACCEPT="image/png")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert decode_qr(response.content) == raw


def test_start_of_a_running_session_is_409(api):
    session = Session.objects.create(name="s", status=SessionStatus.CONNECTED)
    response = api.post(f"{URL}/{session.id}/start")
    assert response.status_code == 409 and response.json()["error"]["details"]["status"] == "connected"


def test_stop_without_an_engine_node_stops_at_once_and_start_brings_it_back(api):
    session = Session.objects.create(name="s", status=SessionStatus.CONNECTED)
    body = api.post(f"{URL}/{session.id}/stop").json()
    assert body["status"] == "stopped" and body["desiredState"] == "stopped"
    assert api.post(f"{URL}/{session.id}/stop").status_code == 409
    body = api.post(f"{URL}/{session.id}/start").json()
    assert body["status"] == "starting" and body["desiredState"] == "running"


def test_logout_and_pairing_code_need_the_right_state(api):
    session = Session.objects.create(
        name="s", status=SessionStatus.STOPPED, desired_state=DesiredState.STOPPED
    )
    assert api.post(f"{URL}/{session.id}/logout").status_code == 409
    assert (
        api.post(f"{URL}/{session.id}/pairing-code", {"phone": "+33612345678"}, format="json").status_code
        == 409
    )
    response = api.post(f"{URL}/{session.id}/pairing-code", {"phone": "12"}, format="json")
    assert response.status_code == 400 and "phone" in response.json()["error"]["message"]


def test_delete_removes_the_row_and_the_profile_directory(api):
    session = Session.objects.create(name="s", status=SessionStatus.STOPPED)
    profile = Path(settings.SESSIONS_DIR) / str(session.id) / "profile"
    profile.mkdir(parents=True)
    (profile / "Cookies").write_text("x")
    assert api.delete(f"{URL}/{session.id}").status_code == 204
    assert not Session.objects.exists() and not profile.parent.exists()
    assert api.delete(f"{URL}/{session.id}").status_code == 404


def test_events_list_the_history_newest_first(api):
    api.post(URL, {"name": "s"}, format="json")
    session = Session.objects.get()
    api.post(f"{URL}/{session.id}/stop")
    history = api.get(f"{URL}/{session.id}/events").json()["items"]
    assert [(e["fromStatus"], e["toStatus"]) for e in history] == [
        ("starting", "stopped"),
        ("stopped", "starting"),
    ]


def test_a_webhook_given_at_creation_is_configured_and_its_generated_secret_shown_once(api, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    response = api.post(URL, {"name": "hooked", "webhook": {"url": "http://127.0.0.1:9/hook"}}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert len(body["webhookSecret"]) >= 16
    config = api.get(f"{URL}/{body['id']}/webhook").json()
    assert config["url"] == "http://127.0.0.1:9/hook" and "secret" not in config
    assert "webhookSecret" not in api.get(f"{URL}/{body['id']}").json()


def test_a_bad_webhook_at_creation_is_400_and_creates_no_session(api, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    response = api.post(URL, {"name": "hooked", "webhook": {"url": "http://127.0.0.1:9/hook"}}, format="json")
    assert response.status_code == 400
    assert not Session.objects.exists()
