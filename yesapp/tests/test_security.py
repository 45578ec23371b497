import re
import stat
import subprocess
import sys
import uuid

import pytest
from django.contrib.admindocs.views import extract_views_from_urlpatterns, simplify_regex
from django.test import Client, override_settings
from django.urls import get_resolver
from rest_framework.test import APIClient

from messaging.models import Direction, MediaStatus, Message, MessageStatus
from sandbox.models import SandboxContact, SandboxMessage
from sessions_app.models import FailedEvent, Session, SessionStatus
from webhooks.models import DeliveryStatus, WebhookConfig, WebhookDelivery
from yesapp.apikeys import apikey_create

pytestmark = pytest.mark.django_db


def test_security_headers_are_on(anon_api):
    response = anon_api.get("/health")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_hsts_is_sent_on_https_when_not_debug(settings):
    assert settings.DEBUG is False
    response = Client().get("/health", secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=")
    assert "Strict-Transport-Security" not in Client().get("/health")


def test_no_cors_headers_unless_configured(anon_api):
    response = anon_api.get("/api/v1/me", HTTP_ORIGIN="https://app.example.com")
    assert "Access-Control-Allow-Origin" not in response


@override_settings(CORS_ALLOWED_ORIGINS=["https://app.example.com"])
def test_cors_allows_only_the_configured_origins(anon_api, raw_api_key):
    preflight = anon_api.options(
        "/api/v1/me",
        HTTP_ORIGIN="https://app.example.com",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="x-api-key",
    )
    assert preflight.status_code == 200
    assert preflight["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert "x-api-key" in preflight["Access-Control-Allow-Headers"]
    other = anon_api.get("/api/v1/me", HTTP_ORIGIN="https://evil.example.com", HTTP_X_API_KEY=raw_api_key)
    assert "Access-Control-Allow-Origin" not in other


def _secret_key_in(data_dir) -> str:
    from yesapp.tests.fixtures import ROOT, child_env

    env = child_env(DATA_DIR=str(data_dir), DJANGO_SETTINGS_MODULE="yesapp.settings")
    env.pop("SECRET_KEY", None)
    code = "from django.conf import settings; print(settings.SECRET_KEY)"
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.strip()


def test_secret_key_is_generated_once_and_kept_private_in_data_dir(tmp_path):
    first = _secret_key_in(tmp_path)
    stored = tmp_path / "secret_key"
    assert len(first) >= 50 and stored.read_text().strip() == first
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert _secret_key_in(tmp_path) == first
    assert _secret_key_in(tmp_path / "other") != first


# --- Every URL, derived from the resolver: who may call it ----------------------------------

# Pages anyone may open: the probes and the sign-in forms (the dashboard's and the admin's).
# The sandbox page needs its signed token (checked below), so it is not in this list.
PUBLIC_PATHS = {"/health", "/ready", "/login/", "/admin/login/"}
METHODS = ("get", "post", "put", "patch", "delete")
_PLACEHOLDER = re.compile(r"<(?:\w+:)?(\w+)>")


def every_route() -> list[tuple[str, object]]:
    """(path template, view) for every URL pattern the project serves."""
    return [
        (simplify_regex(regex), func)
        for func, regex, _namespace, _name in extract_views_from_urlpatterns(get_resolver().url_patterns)
    ]


def fill(template: str, values: dict[str, str]) -> str:
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), "x"), template)


def call(client, method: str, path: str):
    if method == "get":
        return client.get(path)
    return getattr(client, method)(path, data="{}", content_type="application/json")


def make_session_with_everything(name: str) -> dict[str, str]:
    """A sandbox session with a stored message with media, a webhook delivery and a sandbox
    outbox message: every kind of id a URL can carry, all real."""
    session = Session.objects.create(
        name=name, sandbox=True, status=SessionStatus.CONNECTED, wid="33611111111@c.us"
    )
    message = Message.objects.create(
        session=session,
        direction=Direction.INBOUND,
        chat_id="33622222222@c.us",
        type="image",
        status=MessageStatus.RECEIVED,
        media_status=MediaStatus.STORED,
        media_name="x.png",
        media_mimetype="image/png",
    )
    config = WebhookConfig.objects.create(
        session=session, url="https://hooks.example.com/in", secret="s" * 32
    )
    delivery = WebhookDelivery.objects.create(
        config=config,
        session=session,
        event="message.received",
        body="{}",
        status=DeliveryStatus.FAILED,
        next_attempt_at=message.created_at,
    )
    contact = SandboxContact.objects.create(session=session, phone="+33622222222")
    outbox = SandboxMessage.objects.create(
        session=session,
        contact=contact,
        direction="out",
        wa_id=f"true_33622222222@c.us_{name.upper()}",
        key=name.upper(),
        chat_id="33622222222@c.us",
    )
    failed = FailedEvent.objects.create(session=session, name="chat.new_message", error="kept")
    return {
        "session_id": str(session.pk),
        "message_id": str(message.pk),
        "event_id": str(failed.pk),
        "delivery_id": str(delivery.uuid),
        "webhook_id": str(config.uuid),
        "msg_id": outbox.wa_id,
        "wa_id": outbox.wa_id,
        "object_id": str(session.pk),
        "content_type_id": "1",
        "app_label": "sessions_app",
        "action": "stop",
        "url": "sessions_app/session/",
        "id": "1",
    }


def snapshot() -> dict:
    return {
        "sessions": sorted(Session.objects.values_list("pk", "status", "desired_state", "name")),
        "messages": Message.objects.count(),
        "webhooks": sorted(WebhookConfig.objects.values_list("pk", "url", "secret")),
        "deliveries": sorted(WebhookDelivery.objects.values_list("pk", "status", "attempts")),
        "sandbox": SandboxMessage.objects.count(),
    }


def test_no_url_answers_without_a_key_except_probes_docs_and_sign_in(db, settings):
    settings.READY_REQUIRES_ENGINE = False
    ids = make_session_with_everything("victim")
    _, key = apikey_create(name="existing")
    ids["prefix"] = key[:8]
    before = snapshot()
    client = Client()  # no key, no cookie
    answered, tried = [], 0
    for template, _view in every_route():
        path = fill(template, ids)
        for method in METHODS:
            tried += 1
            response = call(client, method, path)
            status = response.status_code
            if path in PUBLIC_PATHS or status in (401, 403, 404, 405):
                continue
            location = response.get("Location", "")
            if 300 <= status < 400 and location.startswith("/"):  # to a sign-in form, never elsewhere
                continue
            answered.append(f"{method.upper()} {template} -> {status}")
    assert tried > 400  # every route was really tried
    assert not answered, "answered without credentials:\n" + "\n".join(answered)
    assert snapshot() == before


def test_every_api_call_without_a_key_is_401_even_for_ids_that_exist(db):
    ids = make_session_with_everything("victim")
    ids["prefix"] = apikey_create(name="existing")[1][:8]
    client = Client()
    wrong = []
    for template, _view in every_route():
        if not template.startswith("/api/v1/"):
            continue
        for method in METHODS:
            response = call(client, method, fill(template, ids))
            if response.status_code != 401 or response.json()["error"]["code"] != "not_authenticated":
                wrong.append(f"{method.upper()} {template} -> {response.status_code}")
    assert not wrong, wrong


def test_the_sandbox_page_and_its_endpoints_need_the_signed_token(db):
    from sandbox.services.page_url import sandbox_page_token

    ids = make_session_with_everything("phone")
    other = make_session_with_everything("other")
    client = Client()
    good = sandbox_page_token(session_id=ids["session_id"])
    # The token of another session is a wrong token here.
    for token in ("", "wrong", sandbox_page_token(session_id=other["session_id"])):
        for template, _view in every_route():
            if template.startswith("/sandbox/"):
                response = client.get(fill(template, ids) + f"?token={token}")
                assert response.status_code in (403, 405), (template, token, response.status_code)
    assert client.get(fill("/sandbox/web/<session_id>/", ids) + f"?token={good}").status_code == 200


# --- A key limited to some sessions -----------------------------------------------------------

# A body that passes validation everywhere, so only the scope decides the answer.
_PLAUSIBLE_BODY = {
    "to": "+33612345678",
    "text": "hi",
    "from": "+33698765432",
    "phone": "+33698765432",
    "url": "https://93.184.216.34/hook",
    "mode": "offline",
    "name": "x",
}


def test_a_scoped_key_gets_the_same_404_for_other_sessions_ids_as_for_ids_that_do_not_exist(db, settings):
    """Every URL that names a session, message, delivery or sandbox message, with every method
    its view has: another session's ids answer exactly like made-up ones, 404 (403 where the
    operation is for admin keys only), and nothing of that session changes."""
    settings.MEDIA_URL_ALLOW_PRIVATE = False
    mine = make_session_with_everything("mine")
    other = make_session_with_everything("other")
    missing = {
        **other,
        "session_id": str(uuid.uuid4()),
        "message_id": str(uuid.uuid4()),
        "delivery_id": str(uuid.uuid4()),
        "webhook_id": str(uuid.uuid4()),
        "msg_id": "true_1@c.us_NOPE",
    }
    _, raw = apikey_create(name="scoped", is_admin=False, session_ids=[mine["session_id"]])
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=raw)
    before = snapshot()
    checked, leaks = 0, []
    for template, view in every_route():
        names = set(_PLACEHOLDER.findall(template))
        if not template.startswith("/api/v1/") or not names & {"session_id", "message_id", "delivery_id"}:
            continue
        for method in METHODS:
            if not hasattr(view.view_class, method):
                continue
            replies = [
                getattr(client, method)(fill(template, ids), _PLAUSIBLE_BODY, format="json")
                for ids in (other, missing)
            ]
            statuses = [r.status_code for r in replies]
            codes = [r.json()["error"]["code"] if r.status_code >= 400 else None for r in replies]
            checked += 1
            if statuses[0] != statuses[1] or codes[0] != codes[1] or statuses[0] not in (403, 404):
                leaks.append(f"{method.upper()} {template}: other={statuses[0]} missing={statuses[1]}")
    assert checked >= 25
    assert not leaks, "\n".join(leaks)
    assert snapshot() == before


def test_a_scoped_key_lists_counts_and_manages_only_inside_its_scope(db):
    mine = make_session_with_everything("mine")
    make_session_with_everything("other")
    _, raw = apikey_create(name="scoped", is_admin=False, session_ids=[mine["session_id"]])
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=raw)
    before = snapshot()
    assert [s["id"] for s in client.get("/api/v1/sessions").json()["items"]] == [mine["session_id"]]
    assert client.get("/api/v1/stats").json()["sessions"]["total"] == 1
    assert client.get("/api/v1/me").json()["sessions"] == [mine["session_id"]]
    # Making sessions or keys, reading logs: admin keys only.
    assert client.post("/api/v1/sessions", {"name": "new"}, format="json").status_code == 403
    assert client.post("/api/v1/keys", {"name": "escalate"}, format="json").status_code == 403
    assert client.get("/api/v1/keys").status_code == 403
    assert client.get("/api/v1/logs").status_code == 403
    assert snapshot() == before


def _settings_in_a_fresh_process(**env: str) -> dict:
    """The security settings Django computes from this environment, read in a new process
    (settings are computed once, at start)."""
    import json
    import os

    code = (
        # Only the settings module: setting up every app would take seconds a run.
        "import json; from django.conf import settings as s; "
        "print(json.dumps([s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_PROXY_SSL_HEADER]))"
    )
    child = {**os.environ, "DJANGO_SETTINGS_MODULE": "yesapp.settings", "SECRET_KEY": "x" * 50, **env}
    for name in ("SECURE_SSL_REDIRECT", "TRUST_X_FORWARDED_PROTO", "SECURE_PROXY_SSL_HEADER", "PUBLIC_URL"):
        if name not in env:
            child.pop(name, None)
    out = subprocess.run([sys.executable, "-c", code], env=child, capture_output=True, text=True, check=True)
    secure_session, secure_csrf, header = json.loads(out.stdout.strip().splitlines()[-1])
    return {"session": secure_session, "csrf": secure_csrf, "header": header and tuple(header)}


@pytest.mark.parametrize("debug", ["false", "true"])
def test_cookies_are_secure_whenever_the_public_url_is_https(debug):
    https = _settings_in_a_fresh_process(PUBLIC_URL="https://wa.example.com", DEBUG=debug)
    assert https["session"] is True and https["csrf"] is True
    plain = _settings_in_a_fresh_process(PUBLIC_URL="http://localhost:3000", DEBUG=debug)
    assert plain["session"] is False and plain["csrf"] is False


def test_the_proxy_ssl_header_is_configurable():
    custom = _settings_in_a_fresh_process(SECURE_PROXY_SSL_HEADER="X-Forwarded-Scheme: https")
    assert custom["header"] == ("HTTP_X_FORWARDED_SCHEME", "https")
    shorthand = _settings_in_a_fresh_process(TRUST_X_FORWARDED_PROTO="true")
    assert shorthand["header"] == ("HTTP_X_FORWARDED_PROTO", "https")
    assert _settings_in_a_fresh_process()["header"] is None


@override_settings(SESSION_COOKIE_SECURE=True, CSRF_COOKIE_SECURE=True)
def test_sign_in_behind_a_tls_proxy_sets_secure_cookies(raw_api_key):
    from dashboard.tests.conftest import sign_in_with_key

    client = Client(HTTP_X_FORWARDED_PROTO="https")
    assert client.get("/login/").cookies["csrftoken"]["secure"] is True
    response = sign_in_with_key(client, raw_api_key)
    assert response.status_code == 302 and response.cookies["sessionid"]["secure"] is True
