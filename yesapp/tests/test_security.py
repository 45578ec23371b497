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
