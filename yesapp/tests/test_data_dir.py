"""DATA_DIR is private to the app user: whatever YesApp writes there is created 0700 (directories)
or 0600 (files) from the start, whatever umask it was started with."""

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from yesapp.tests.fixtures import ROOT, child_env

pytestmark = pytest.mark.slow

_WRITE_EVERYTHING = """
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from messaging.media import store_file
from webhooks.services import signing_secret
from webhooks.models import WebhookConfig, WebhookSource
import logging
store_file(message_id="m1", data=b"%PDF-1.4 x", extension="pdf")
default_storage.save("sandbox/nested/photo.jpg", ContentFile(b"jpeg"))
signing_secret(WebhookConfig(source=WebhookSource.ENV))
logging.getLogger("yesapp").warning("a line in the log file")
"""


def _manage(data_dir: Path, *args: str) -> str:
    env = child_env(DATA_DIR=str(data_dir), WEBHOOK_SECRET="", LOG_LEVEL="INFO")
    for name in ("DATABASE_URL", "SECRET_KEY"):  # the defaults: SQLite and secret_key in DATA_DIR
        env.pop(name, None)
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        preexec_fn=lambda: os.umask(0o022),  # a usual umask: the app must not rely on it
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_everything_in_data_dir_is_created_private_to_the_app_user(tmp_path):
    data_dir = tmp_path / "data"
    _manage(data_dir, "migrate", "--noinput")
    printed = _manage(data_dir, "bootstrap")
    _manage(data_dir, "shell", "-c", _WRITE_EVERYTHING)

    expected = {"yesapp.sqlite3", "secret_key", "initial_api_key", "webhook_secret", "logs/yesapp.log"}
    expected |= {"media/m1.pdf", "media/sandbox/nested/photo.jpg"}
    found = {str(p.relative_to(data_dir)) for p in data_dir.rglob("*") if p.is_file()}
    assert expected <= found, expected - found
    wrong = {
        str(path.relative_to(data_dir) if path != data_dir else "."): oct(stat.S_IMODE(path.stat().st_mode))
        for path in [data_dir, *data_dir.rglob("*")]
        if stat.S_IMODE(path.stat().st_mode) != (0o700 if path.is_dir() else 0o600)
    }
    assert not wrong, f"not private: {wrong}"

    # The first key: on the console and in its 0600 file, never in the log file.
    key = (data_dir / "initial_api_key").read_text().strip()
    assert f"API Key: {key}" in printed
    assert key not in (data_dir / "logs" / "yesapp.log").read_text()


def test_an_existing_open_data_dir_is_closed_on_start(tmp_path):
    data_dir = tmp_path / "old"
    data_dir.mkdir(mode=0o755)
    os.chmod(data_dir, 0o755)
    _manage(data_dir, "check")
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
