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
    assert checks["database"] == "ok"
    assert checks["redis"].startswith("redis:") and checks["redis"] != "ok"
    assert checks["engine"] != "ok"


def test_ready_is_503_naming_the_database_when_it_fails(anon_api, engine_node, monkeypatch):
    from yesapp import health

    def broken_cursor():
        raise OSError("connection refused")

    monkeypatch.setattr(health.connection, "cursor", broken_cursor)
    response = anon_api.get("/ready")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "database: connection refused"
