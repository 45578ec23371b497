import json

import pytest
from django.test import Client
from django.urls import reverse

from dashboard import logfile
from dashboard.tests.conftest import sign_in_with_key


def write_log(path, records, *, junk_prefix: str = "") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        handle.write(junk_prefix)
        for i, (level, message) in enumerate(records):
            line = {
                "timestamp": f"2026-11-27T10:00:{i:02d}.000Z",
                "level": level,
                "logger": "test",
                "message": message,
                "request_id": f"r{i}",
                "session_id": "s1",
            }
            handle.write(json.dumps(line) + "\n")


@pytest.fixture
def log_dir(tmp_path, settings):
    settings.LOG_DIR = tmp_path
    return tmp_path


def test_records_come_newest_first_with_their_extra_fields(log_dir):
    write_log(log_dir / "yesapp.log", [("INFO", "first"), ("WARNING", "second"), ("ERROR", "third")])
    records = logfile.log_records(limit=10)
    assert [r.message for r in records] == ["third", "second", "first"]
    assert records[0].request_id == "r2" and records[0].extra == {"session_id": "s1"}


def test_level_keeps_that_level_and_above(log_dir):
    levels = ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
    write_log(log_dir / "yesapp.log", [(level, level.lower()) for level in levels])
    assert [r.level for r in logfile.log_records(level="warning")] == ["CRITICAL", "ERROR", "WARNING"]
    assert [r.level for r in logfile.log_records(level="ERROR", limit=1)] == ["CRITICAL"]


def test_reading_continues_into_the_rotated_file(log_dir):
    write_log(log_dir / "yesapp.log.1", [("ERROR", "old error")])
    write_log(log_dir / "yesapp.log", [("INFO", "new info")])
    assert [r.message for r in logfile.log_records(level="error")] == ["old error"]
    assert [r.message for r in logfile.log_records()] == ["new info", "old error"]


def test_reading_is_bounded_and_skips_cut_and_foreign_lines(log_dir, monkeypatch):
    monkeypatch.setattr(logfile, "READ_BUDGET_BYTES", 4096)
    monkeypatch.setattr(logfile, "_BLOCK_BYTES", 1000)
    write_log(
        log_dir / "yesapp.log", [("ERROR", "needle")] + [("INFO", "x" * 100)] * 200, junk_prefix="not json\n"
    )
    # The only error sits at the start of a file far larger than the budget: not found, quickly.
    assert logfile.log_records(level="error") == []
    records = logfile.log_records(limit=1000)
    assert 0 < len(records) < 200 and all(r.message == "x" * 100 for r in records)


def test_missing_log_file_is_just_empty(log_dir):
    assert logfile.log_records() == []


def test_printed_first_start_key_is_never_shown(log_dir):
    key = "ab12cd34" + "e" * 56
    write_log(log_dir / "yesapp.log", [("WARNING", f"API Key: {key}")])
    [record] = logfile.log_records()
    assert key not in record.message and record.message.startswith("API Key: ab12cd34")


def test_api_serves_the_same_records(api, log_dir):
    write_log(log_dir / "yesapp.log", [("INFO", "hello"), ("ERROR", "boom")])
    response = api.get("/api/v1/logs", {"level": "ERROR", "limit": 100})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1 and body["records"][0]["message"] == "boom"
    assert body["records"][0]["requestId"] == "r1"


@pytest.mark.parametrize("query", [{"level": "loud"}, {"limit": 0}, {"limit": 5000}, {"limit": "many"}])
def test_api_refuses_bad_queries_with_400(api, log_dir, query):
    response = api.get("/api/v1/logs", query)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_api_logs_need_an_admin_key(anon_api, scoped_key, log_dir):
    assert anon_api.get("/api/v1/logs").status_code == 401
    raw, _, _ = scoped_key
    anon_api.credentials(HTTP_X_API_KEY=raw)
    assert anon_api.get("/api/v1/logs").status_code == 403


def test_logs_page_filters_by_level_and_escapes_messages(admin_client, log_dir):
    write_log(log_dir / "yesapp.log", [("INFO", "<script>x()</script>"), ("ERROR", "disk full")])
    page = admin_client.get(reverse("dashboard:logs"))
    assert b"&lt;script&gt;x()&lt;/script&gt;" in page.content and b"disk full" in page.content
    table = admin_client.get(reverse("dashboard:logs-table"), {"level": "error"})
    assert b"disk full" in table.content and b"script" not in table.content


def test_scoped_key_cannot_open_the_logs_page(scoped_key):
    client = Client()
    sign_in_with_key(client, scoped_key[0])
    assert client.get(reverse("dashboard:logs")).status_code == 403
    assert b'href="/logs/"' not in client.get("/").content
