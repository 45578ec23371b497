"""FILE_STORAGE and PROFILE_SNAPSHOT_STORE from the environment, and the file storage helpers
on the local disk (the S3 side: messaging/tests/test_media_s3.py, against moto's emulator)."""

import hashlib

import environ
import pytest
from django.core.exceptions import ImproperlyConfigured

from yesapp.file_storage import file_delete, file_read, file_save, file_sha256, file_stream
from yesapp.settings_storage import snapshot_store_setting, storages_settings


def _env(monkeypatch, **values) -> environ.Env:
    for name in ("FILE_STORAGE", "S3_BUCKET", "S3_ENDPOINT_URL", "S3_PREFIX", "PROFILE_SNAPSHOT_STORE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return environ.Env()


def test_the_default_is_the_filesystem_under_media_root(monkeypatch):
    kind, storages = storages_settings(_env(monkeypatch))
    assert kind == "filesystem"
    assert storages["default"] == {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    assert snapshot_store_setting(_env(monkeypatch)) == "database"


def test_s3_is_private_and_needs_a_bucket(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="S3_BUCKET"):
        storages_settings(_env(monkeypatch, FILE_STORAGE="s3"))
    env = _env(
        monkeypatch, FILE_STORAGE="S3", S3_BUCKET="b", S3_ENDPOINT_URL="http://minio:9000", S3_PREFIX="/x/"
    )
    kind, storages = storages_settings(env)
    options = storages["default"]["OPTIONS"]
    assert kind == "s3" and storages["default"]["BACKEND"] == "storages.backends.s3.S3Storage"
    assert (options["bucket_name"], options["endpoint_url"], options["location"]) == (
        "b",
        "http://minio:9000",
        "x",
    )
    assert options["default_acl"] is None and options["file_overwrite"] is True
    assert "access_key" not in options  # boto3's own credential chain


@pytest.mark.parametrize(("name", "value"), [("FILE_STORAGE", "nfs"), ("PROFILE_SNAPSHOT_STORE", "redis")])
def test_an_unknown_store_stops_the_start(monkeypatch, name, value):
    env = _env(monkeypatch, **{name: value})
    with pytest.raises(ImproperlyConfigured, match=name):
        storages_settings(env) if name == "FILE_STORAGE" else snapshot_store_setting(env)


def test_files_are_replaced_whole_read_streamed_and_deleted_on_disk(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    assert file_save("contacts/s/1.png", b"old") == "contacts/s/1.png"
    assert file_save("contacts/s/1.png", b"new bytes") == "contacts/s/1.png"  # replaced, same name
    assert sorted(p.name for p in (tmp_path / "media" / "contacts" / "s").iterdir()) == ["1.png"]
    assert file_read("contacts/s/1.png") == b"new bytes"
    stream, size = file_stream("contacts/s/1.png")
    with stream:
        assert (stream.read(), size) == (b"new bytes", 9)
    assert file_sha256("contacts/s/1.png") == hashlib.sha256(b"new bytes").hexdigest()
    file_delete("contacts/s/1.png")
    file_delete("contacts/s/1.png")  # already gone: fine
    assert file_read("contacts/s/1.png") is None and file_stream("contacts/s/1.png") is None
    assert file_sha256("contacts/s/1.png") == "" and file_read("") is None


def test_the_bucket_check_names_a_missing_bucket(s3_storage, settings):
    """Against moto's S3 emulator (yesapp/tests/s3.py)."""
    from yesapp.file_storage import file_storage_problem

    assert file_storage_problem() is None
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            **settings.STORAGES["default"],
            "OPTIONS": {**settings.STORAGES["default"]["OPTIONS"], "bucket_name": "no-such-bucket"},
        },
    }
    assert "no-such-bucket" in file_storage_problem()


def test_with_s3_ready_also_checks_the_bucket(settings, monkeypatch):
    """An app started with FILE_STORAGE=s3 adds the bucket to /ready's checks: what the app's
    ready() registers, run here on a copy of the registry (a process start costs seconds)."""
    from django.apps import apps

    from yesapp import health

    found = {}
    for kind in ("filesystem", "s3"):
        others = {name: check for name, check in health._readiness_checks.items() if name != "storage"}
        monkeypatch.setattr(health, "_readiness_checks", others)
        settings.FILE_STORAGE = kind
        apps.get_app_config("yesapp").ready()
        found[kind] = "storage" in health._readiness_checks
    assert found == {"filesystem": False, "s3": True}
