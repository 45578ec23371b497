import io
import json
import logging
import logging.handlers
import re
import subprocess
import sys
import time
import uuid
from datetime import datetime
from pathlib import Path

import pytest
from django.conf import settings

from yesapp.logging import JsonFormatter, RequestIdFilter, request_id_var
from yesapp.tasks import ping
from yesapp.tests.fixtures import ROOT, child_env


@pytest.fixture
def json_lines():
    """Collects what the app's JSON formatter writes for every logger, as parsed dicts."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)

    def read() -> list[dict]:
        return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]

    yield read
    root.removeHandler(handler)
    root.setLevel(old_level)


def test_log_line_is_one_json_object_with_the_required_fields(json_lines):
    logging.getLogger("yesapp.test").warning("hello %s", "world", extra={"session_id": "s1"})
    (line,) = [line for line in json_lines() if line["logger"] == "yesapp.test"]
    assert line["message"] == "hello world"
    assert line["level"] == "WARNING"
    assert line["request_id"] == "-"
    assert line["session_id"] == "s1"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", line["timestamp"])
    datetime.fromisoformat(line["timestamp"].replace("Z", "+00:00"))


def test_exception_traceback_is_inside_the_json_line(json_lines):
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("yesapp.test").exception("failed")
    (line,) = [line for line in json_lines() if line["logger"] == "yesapp.test"]
    assert "ValueError: boom" in line["exc_info"]


@pytest.mark.django_db
def test_request_id_is_honoured_echoed_and_in_the_log_lines(anon_api, json_lines):
    response = anon_api.get("/api/v1/me", HTTP_X_REQUEST_ID="abc-123.X_y")
    assert response["X-Request-ID"] == "abc-123.X_y"
    access = [line for line in json_lines() if line["logger"] == "yesapp.access"]
    assert access and access[0]["request_id"] == "abc-123.X_y"
    assert (access[0]["method"], access[0]["path"], access[0]["status"]) == ("GET", "/api/v1/me", 401)
    assert request_id_var.get() == "-"  # reset once the request is over


@pytest.mark.django_db
def test_request_id_is_generated_when_missing(anon_api, json_lines):
    first = anon_api.get("/health")["X-Request-ID"]
    second = anon_api.get("/health")["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", first) and first != second
    assert first in {line["request_id"] for line in json_lines()}


@pytest.mark.parametrize("unsafe", ["has space", "x" * 65, "semi;colon", "new\tline"])
@pytest.mark.django_db
def test_unsafe_request_id_is_replaced(anon_api, unsafe):
    assert re.fullmatch(r"[0-9a-f]{32}", anon_api.get("/health", HTTP_X_REQUEST_ID=unsafe)["X-Request-ID"])


@pytest.mark.django_db
def test_celery_task_log_lines_carry_the_task_id(json_lines):
    result = ping.apply(task_id="task-42")
    assert result.get()["pong"] is True
    (line,) = [line for line in json_lines() if line["logger"] == "yesapp.tasks"]
    assert line["message"] == "pong" and line["request_id"] == "task-42"
    assert request_id_var.get() == "-"


def test_logs_go_to_a_rotating_file_under_data_dir():
    handler = next(
        h for h in logging.getLogger().handlers if isinstance(h, logging.handlers.RotatingFileHandler)
    )
    assert Path(handler.baseFilename) == Path(settings.DATA_DIR) / "logs" / "yesapp.log"
    assert handler.maxBytes > 0 and handler.backupCount > 0
    marker = f"to the file {uuid.uuid4()}"
    logging.getLogger("yesapp.test").warning(marker)
    handler.flush()
    # Not necessarily the last line: worker processes of other tests share the file, and one of
    # them may have rotated it meanwhile (then the line is in yesapp.log.1).
    log = Path(handler.baseFilename)
    lines = [
        json.loads(raw)
        for path in [log, *sorted(log.parent.glob(log.name + ".*"))]
        for raw in path.read_text(errors="replace").splitlines()
        if raw.startswith("{")
    ]
    assert [line["level"] for line in lines if line["message"] == marker] == ["WARNING"]


@pytest.mark.slow  # a process of its own: seconds to start Django
def test_log_level_comes_from_the_environment():
    code = "import django, logging; django.setup(); print(logging.getLevelName(logging.getLogger().level))"
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=child_env(LOG_LEVEL="warning", DJANGO_SETTINGS_MODULE="yesapp.settings"),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert out.strip() == "WARNING"


@pytest.mark.slow
def test_worker_log_lines_carry_the_task_id(start_worker):
    worker = start_worker(queues="default", name="logids")
    result = ping.apply_async(queue="default")
    result.get(timeout=20)
    task_id = result.id

    def lines_of_this_task() -> list[dict]:
        lines = [
            json.loads(raw)
            for raw in worker.log_path.read_text(errors="replace").splitlines()
            if raw.startswith("{")
        ]
        return [line for line in lines if line.get("request_id") == task_id]

    # The result reaches Redis a moment before the worker writes its "succeeded" line.
    deadline = time.monotonic() + 10
    mine = lines_of_this_task()
    while not any("succeeded" in line["message"] for line in mine) and time.monotonic() < deadline:
        time.sleep(0.1)
        mine = lines_of_this_task()
    assert any(line["message"] == "pong" for line in mine), worker.tail()
    assert any("succeeded" in line["message"] for line in mine), worker.tail()


@pytest.mark.slow  # a process of its own: seconds to start Django
def test_manage_py_commands_print_no_json_log_lines_but_the_file_keeps_them(transactional_db):
    """`manage.py createapikey` prints its key, not JSON log lines between its own output."""
    result = subprocess.run(
        [sys.executable, "manage.py", "createapikey", "--name", "cli-output"],
        cwd=ROOT,
        env=child_env(LOG_LEVEL="INFO"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("API Key: ")
    for line in (result.stdout + result.stderr).splitlines():
        assert not line.startswith("{"), line
    log = (Path(settings.LOG_DIR) / "yesapp.log").read_text()
    assert '"api_key_name": "cli-output"' in log
