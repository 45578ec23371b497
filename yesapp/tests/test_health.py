import pytest

from sessions_app.engine.nodes import node_gone, node_heartbeat
from yesapp.tests.helpers import closed_port

pytestmark = pytest.mark.django_db


@pytest.fixture
def engine_node():
    node_heartbeat("engine@test")
    yield "engine@test"
    node_gone("engine@test")


def test_health_is_200_without_a_key(anon_api):
    response = anon_api.get("/health")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_ready_is_200_when_database_redis_and_an_engine_worker_answer(anon_api, engine_node):
    response = anon_api.get("/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "redis": "ok", "engine": "ok"}}


def test_ready_is_503_when_no_engine_worker_is_alive(anon_api):
    response = anon_api.get("/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "ok" and body["checks"]["redis"] == "ok"
    assert "no engine worker" in body["checks"]["engine"]


def test_ready_ignores_the_engine_when_told_to(anon_api, settings):
    settings.READY_REQUIRES_ENGINE = False
    assert anon_api.get("/ready").status_code == 200


def test_ready_is_503_naming_redis_when_redis_is_unreachable(anon_api, engine_node, settings):
    settings.REDIS_URL = f"redis://127.0.0.1:{closed_port()}/0"
    settings.REDIS_SOCKET_TIMEOUT = 1
    response = anon_api.get("/ready")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks == {
        "database": "ok",
        "redis": "redis: not answering",
        "engine": "engine: no engine worker answers",
    }


def test_ready_is_503_naming_the_database_when_it_fails(anon_api, engine_node, monkeypatch):
    from yesapp import health

    def broken_cursor():
        raise OSError("connection refused")

    monkeypatch.setattr(health.connection, "cursor", broken_cursor)
    response = anon_api.get("/ready")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "database: not answering"


def test_ready_shows_raw_error_texts_only_to_an_authenticated_caller(
    anon_api, raw_api_key, engine_node, settings
):
    port = closed_port()
    settings.REDIS_URL = f"redis://127.0.0.1:{port}/0"
    settings.REDIS_SOCKET_TIMEOUT = 1
    anonymous = anon_api.get("/ready")
    assert anonymous.status_code == 503
    assert str(port) not in anonymous.content.decode() and "refused" not in anonymous.content.decode()
    wrong_key = anon_api.get("/ready", HTTP_X_API_KEY="f" * 64)
    assert wrong_key.status_code == 503 and str(port) not in wrong_key.content.decode()
    keyed = anon_api.get("/ready", HTTP_X_API_KEY=raw_api_key)
    assert keyed.status_code == 503
    assert str(port) in keyed.json()["checks"]["redis"]


def test_ready_shows_raw_error_texts_to_a_dashboard_sign_in(raw_api_key, engine_node, settings):
    from django.test import Client

    from dashboard.tests.conftest import sign_in_with_key

    port = closed_port()
    settings.REDIS_SOCKET_TIMEOUT = 1
    browser = Client()
    assert sign_in_with_key(browser, raw_api_key).status_code == 302
    settings.REDIS_URL = f"redis://127.0.0.1:{port}/0"
    signed_in = browser.get("/ready")
    assert signed_in.status_code == 503 and str(port) in signed_in.json()["checks"]["redis"]
