import hashlib
import io
import re
import stat
import uuid
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from sessions_app.models import Session
from sessions_app.selectors import session_visible_to_key, sessions_for_key
from yesapp.apikeys import apikey_authenticate, apikey_create, apikey_ensure_initial, apikey_revoke
from yesapp.errors import Conflict, InvalidInput, NotFound
from yesapp.models import ApiKey

pytestmark = pytest.mark.django_db


def test_new_key_is_32_random_bytes_in_hex_and_only_its_hash_is_stored():
    key, raw_key = apikey_create(name="crm")
    assert re.fullmatch(r"[0-9a-f]{64}", raw_key)
    stored = ApiKey.objects.get(pk=key.pk)
    assert stored.key_hash == hashlib.sha256(raw_key.encode()).hexdigest()
    assert stored.prefix == raw_key[:8]
    # The plain key is in no column of the row.
    row = ApiKey.objects.filter(pk=key.pk).values().get()
    assert not any(raw_key in str(value) for value in row.values())
    assert stored.is_admin and stored.is_active and stored.last_used_at is None


def test_two_keys_never_repeat():
    assert apikey_create(name="a")[1] != apikey_create(name="b")[1]


def test_authenticate_accepts_the_key_and_records_last_use():
    key, raw_key = apikey_create(name="crm")
    found = apikey_authenticate(raw_key)
    assert found.pk == key.pk
    assert ApiKey.objects.get(pk=key.pk).last_used_at is not None


def test_last_used_is_written_at_most_once_a_minute():
    key, raw_key = apikey_create(name="crm")
    apikey_authenticate(raw_key)
    first = ApiKey.objects.get(pk=key.pk).last_used_at
    apikey_authenticate(raw_key)
    assert ApiKey.objects.get(pk=key.pk).last_used_at == first
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now() - timedelta(minutes=5))
    apikey_authenticate(raw_key)
    assert ApiKey.objects.get(pk=key.pk).last_used_at > first


@pytest.mark.parametrize("attempt", ["", "0" * 64, "x" * 300, "not a key"])
def test_authenticate_refuses_wrong_keys(attempt):
    apikey_create(name="crm")
    assert apikey_authenticate(attempt) is None


def test_authenticate_refuses_the_hash_itself():
    key, _ = apikey_create(name="crm")
    assert apikey_authenticate(key.key_hash) is None


def test_revoked_key_no_longer_authenticates():
    key, raw_key = apikey_create(name="crm")
    revoked = apikey_revoke(prefix=key.prefix)
    assert revoked.pk == key.pk and revoked.revoked_at is not None
    assert apikey_authenticate(raw_key) is None


def test_revoke_refuses_short_unknown_and_ambiguous_prefixes():
    first = ApiKey.objects.create(name="a", prefix="abcd1111", key_hash="1" * 64)
    ApiKey.objects.create(name="b", prefix="abcd2222", key_hash="2" * 64)
    with pytest.raises(InvalidInput):
        apikey_revoke(prefix="abc")
    with pytest.raises(NotFound):
        apikey_revoke(prefix="ffff0000")
    with pytest.raises(Conflict):
        apikey_revoke(prefix="abcd")
    assert ApiKey.objects.filter(revoked_at__isnull=False).count() == 0
    assert apikey_revoke(prefix="abcd1").pk == first.pk
    with pytest.raises(NotFound):  # already revoked
        apikey_revoke(prefix="abcd1")


def test_create_with_sessions_makes_a_scoped_key():
    mine = Session.objects.create(name="mine")
    other = Session.objects.create(name="other")
    key, _ = apikey_create(name="bot", session_ids=[str(mine.pk)])
    assert not key.is_admin
    assert session_visible_to_key(key=key, session_id=mine.pk)
    assert not session_visible_to_key(key=key, session_id=other.pk)
    assert list(sessions_for_key(key=key)) == [mine]
    admin, _ = apikey_create(name="admin")
    assert session_visible_to_key(key=admin, session_id=other.pk)
    assert set(sessions_for_key(key=admin)) == {mine, other}


def test_create_refuses_unknown_or_malformed_sessions_and_stores_nothing():
    with pytest.raises(InvalidInput) as unknown:
        apikey_create(name="bot", session_ids=[str(uuid.uuid4())])
    assert "sessions" in unknown.value.details
    with pytest.raises(InvalidInput):
        apikey_create(name="bot", session_ids=["not-a-uuid"])
    with pytest.raises(InvalidInput):
        apikey_create(name="  ")
    assert not ApiKey.objects.exists()


def test_initial_key_is_made_only_when_there_is_none_and_never_logged(caplog, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    caplog.set_level("DEBUG")
    raw_key = apikey_ensure_initial()
    assert raw_key and apikey_authenticate(raw_key).name == "initial"
    assert apikey_ensure_initial() is None
    assert raw_key not in caplog.text and raw_key[:8] in caplog.text  # the prefix names it
    assert ApiKey.objects.count() == 1
    kept = tmp_path / "initial_api_key"
    assert kept.read_text() == raw_key + "\n"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["initial_api_key"]  # no leftover temp file


def _run(command: str, *args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(command, *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_bootstrap_prints_the_key_exactly_once_across_two_runs(caplog, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    caplog.set_level("INFO")
    first_out, first_err = _run("bootstrap")
    second_out, second_err = _run("bootstrap")
    printed = first_out + first_err + second_out + second_err + caplog.text
    assert printed.count("API Key:") == 1
    raw_key = re.search(r"API Key: ([0-9a-f]{64})", printed).group(1)
    assert apikey_authenticate(raw_key) is not None
    assert "/api/docs/" in first_out and "/api/docs/" in second_out
    assert "createapikey" in second_out
    assert raw_key not in caplog.text  # the console and the 0600 file only, never the log
    assert (tmp_path / "initial_api_key").read_text().strip() == raw_key


def test_bootstrap_still_shows_the_key_when_log_level_hides_warnings(caplog, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    caplog.set_level("ERROR", logger="yesapp.apikeys")
    out, _ = _run("bootstrap")
    assert re.search(r"^API Key: [0-9a-f]{64}$", out, re.M)


def test_createapikey_prints_a_working_admin_key():
    out, err = _run("createapikey", "--name", "crm")
    raw_key = re.fullmatch(r"API Key: ([0-9a-f]{64})\n", out).group(1)
    key = apikey_authenticate(raw_key)
    assert key.name == "crm" and key.is_admin
    assert key.prefix in err


def test_createapikey_with_session_makes_a_key_limited_to_it():
    session = Session.objects.create(name="shop")
    out, _ = _run("createapikey", "--name", "bot", "--session", str(session.pk))
    key = apikey_authenticate(out.split("API Key: ")[1].strip())
    assert not key.is_admin
    assert list(key.sessions.values_list("pk", flat=True)) == [session.pk]


def test_createapikey_takes_a_session_name_as_well_as_an_id():
    demo = Session.objects.create(name="demo")
    other = Session.objects.create(name="other")
    out, _ = _run("createapikey", "--name", "bot", "--session", "demo", "--session", str(other.pk))
    key = apikey_authenticate(out.split("API Key: ")[1].strip())
    assert not key.is_admin
    assert set(key.sessions.values_list("pk", flat=True)) == {demo.pk, other.pk}


@pytest.mark.parametrize("session_id", ["nope", "7f8b8d75-a1c3-4f57-8bf7-66ce962409f3"])
def test_createapikey_with_a_bad_session_fails_clearly_and_stores_nothing(session_id):
    with pytest.raises(CommandError, match="session"):
        _run("createapikey", "--name", "bot", "--session", session_id)
    assert not ApiKey.objects.exists()


def test_revokeapikey_revokes_by_prefix():
    key, raw_key = apikey_create(name="crm")
    out, _ = _run("revokeapikey", key.prefix)
    assert "Revoked" in out
    assert apikey_authenticate(raw_key) is None


def test_revokeapikey_refuses_ambiguous_and_unknown_prefixes():
    ApiKey.objects.create(name="a", prefix="beef0001", key_hash="1" * 64)
    ApiKey.objects.create(name="b", prefix="beef0002", key_hash="2" * 64)
    with pytest.raises(CommandError, match="More than one"):
        _run("revokeapikey", "beef")
    with pytest.raises(CommandError, match="No active API key"):
        _run("revokeapikey", "0000aaaa")
    assert not ApiKey.objects.filter(revoked_at__isnull=False).exists()


def test_bootstrap_warns_when_redis_does_not_answer(settings):
    from yesapp.tests.helpers import closed_port

    settings.REDIS_URL = f"redis://127.0.0.1:{closed_port()}/0"
    settings.REDIS_SOCKET_TIMEOUT = 0.5
    out, _ = _run("bootstrap")
    assert "WARNING:" in out and "redis" in out.lower()


def test_bootstrap_is_quiet_about_redis_when_it_answers():
    out, _ = _run("bootstrap")
    assert "WARNING:" not in out
