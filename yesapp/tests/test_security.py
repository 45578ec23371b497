import stat
import subprocess
import sys

import pytest
from django.test import Client, override_settings

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
