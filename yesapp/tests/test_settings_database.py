"""DATABASES built from DATABASE_URL (yesapp/settings_database.py)."""

import environ
import pytest
from django.db import connection

from yesapp.settings_database import database_settings


def _databases(monkeypatch, tmp_path, url: str) -> dict:
    monkeypatch.setenv("DATABASE_URL", url)
    return database_settings(environ.Env(), tmp_path)["default"]


def test_postgres_connections_keep_alive_so_a_dead_link_is_noticed(monkeypatch, tmp_path):
    default = _databases(monkeypatch, tmp_path, "postgres://u@db.example:5432/yesapp")
    assert default["OPTIONS"]["keepalives"] == 1
    # Idle 30 s, then 3 probes 10 s apart: a dead peer is given up on within about a minute.
    assert default["OPTIONS"]["keepalives_idle"] + 3 * default["OPTIONS"]["keepalives_interval"] <= 90
    assert default["CONN_HEALTH_CHECKS"] is True


def test_keepalive_values_in_the_url_win(monkeypatch, tmp_path):
    default = _databases(
        monkeypatch, tmp_path, "postgres://u@db.example/yesapp?keepalives_idle=5&sslmode=require"
    )
    assert default["OPTIONS"]["keepalives_idle"] == 5
    assert default["OPTIONS"]["sslmode"] == "require"
    assert default["OPTIONS"]["keepalives"] == 1


def test_sqlite_gets_wal_and_immediate_transactions(monkeypatch, tmp_path):
    default = _databases(monkeypatch, tmp_path, f"sqlite:///{tmp_path / 'db.sqlite3'}")
    assert "journal_mode=WAL" in default["OPTIONS"]["init_command"]
    assert default["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "keepalives" not in default["OPTIONS"]


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_live_postgres_connection_has_keepalives_on():
    if connection.vendor != "postgresql":
        pytest.skip("the PostgreSQL pass checks the live connection")
    connection.ensure_connection()
    parameters = connection.connection.info.get_parameters()
    assert parameters.get("keepalives") == "1"
    assert parameters.get("keepalives_idle") == "30"
