import pytest
from django.test import Client, override_settings
from rest_framework.test import APIClient

from dashboard.tests.conftest import sign_in_with_key
from yesapp.apikeys import apikey_create, apikey_revoke
from yesapp.tests.helpers import assert_error_shape, closed_port

pytestmark = pytest.mark.django_db

ME = "/api/v1/me"


def test_missing_key_is_401_with_a_hint(anon_api):
    response = anon_api.get(ME)
    error = assert_error_shape(response, 401, "not_authenticated")
    assert "X-API-Key" in error["message"]
    assert response["WWW-Authenticate"] == "X-API-Key"


def test_wrong_key_is_401(anon_api):
    apikey_create(name="real")
    response = anon_api.get(ME, HTTP_X_API_KEY="0" * 64)
    assert_error_shape(response, 401, "authentication_failed")


def test_revoked_key_is_401(anon_api):
    key, raw_key = apikey_create(name="old")
    assert anon_api.get(ME, HTTP_X_API_KEY=raw_key).status_code == 200
    apikey_revoke(prefix=key.prefix)
    assert_error_shape(anon_api.get(ME, HTTP_X_API_KEY=raw_key), 401, "authentication_failed")


@pytest.mark.parametrize("param", ["api_key", "apikey", "key", "X-API-Key"])
def test_key_in_the_query_string_is_not_accepted(anon_api, raw_api_key, param):
    error = assert_error_shape(anon_api.get(f"{ME}?{param}={raw_api_key}"), 401)
    assert "header" in error["message"]


def test_key_with_surrounding_spaces_still_works(anon_api, raw_api_key):
    assert anon_api.get(ME, HTTP_X_API_KEY=f"  {raw_api_key} ").status_code == 200


def test_probes_need_no_key(anon_api):
    assert anon_api.get("/health").status_code == 200


def test_the_schema_and_the_docs_need_a_key_or_a_dashboard_sign_in(anon_api, api, raw_api_key):
    assert_error_shape(anon_api.get("/api/schema/"), 401)
    docs = anon_api.get("/api/docs/")
    assert docs.status_code == 302 and docs["Location"] == "/login/?next=%2Fapi%2Fdocs%2F"
    assert api.get("/api/schema/").status_code == 200 and api.get("/api/docs/").status_code == 200

    browser = Client()
    assert sign_in_with_key(browser, raw_api_key).status_code == 302
    assert browser.get("/api/docs/").status_code == 200
    assert browser.get("/api/schema/").status_code == 200  # what Swagger UI loads, with the cookie


def _client(address: str, key: str | None = None, **extra) -> APIClient:
    client = APIClient(REMOTE_ADDR=address, **extra)
    if key:
        client.credentials(HTTP_X_API_KEY=key)
    return client


@override_settings(AUTH_FAILURE_LIMIT=3, AUTH_FAILURE_WINDOW=60)
def test_too_many_failures_from_one_address_are_429_with_retry_after_and_logged(raw_api_key, caplog):
    caplog.set_level("INFO", logger="yesapp.authentication")
    guesser = _client("203.0.113.7", "f" * 64)
    for _ in range(3):
        assert guesser.get(ME).status_code == 401
    response = guesser.get(ME)
    error = assert_error_shape(response, 429, "too_many_requests")
    assert 1 <= int(response["Retry-After"]) <= 60
    assert error["details"]["retry_after"] == int(response["Retry-After"])
    # Only guesses are refused: the right key still works from that address...
    assert _client("203.0.113.7", raw_api_key).get(ME).status_code == 200
    assert guesser.get(ME).status_code == 429
    # ...and other addresses may still guess.
    assert _client("198.51.100.2", "f" * 64).get(ME).status_code == 401
    blocked = [r for r in caplog.records if "Too many failed API key attempts" in r.getMessage()]
    assert len(blocked) == 1 and blocked[0].client_address == "203.0.113.7"


@override_settings(AUTH_FAILURE_LIMIT=3)
def test_ipv6_failures_count_per_64_so_fresh_addresses_do_not_reset_the_limit(raw_api_key):
    for host in range(1, 4):  # one host's /64, a new address each try
        assert _client(f"2001:db8:1:2::{host}", "f" * 64).get(ME).status_code == 401
    assert _client("2001:db8:1:2:aaaa::9", "f" * 64).get(ME).status_code == 429
    assert _client("2001:db8:1:3::1", "f" * 64).get(ME).status_code == 401  # the next /64


@override_settings(AUTH_FAILURE_LIMIT=3)
def test_ipv4_clients_behind_nat64_count_one_by_one_not_as_one_64(raw_api_key):
    for _ in range(3):
        assert _client("64:ff9b::cb00:7107", "f" * 64).get(ME).status_code == 401  # 203.0.113.7
    assert _client("64:ff9b::cb00:7107", "f" * 64).get(ME).status_code == 429
    assert _client("64:ff9b::cb00:7108", "f" * 64).get(ME).status_code == 401  # another client


@override_settings(AUTH_FAILURE_LIMIT=3, AUTH_FAILURE_WINDOW=1)
def test_the_block_ends_with_the_window(raw_api_key):
    import time

    from yesapp.authentication import _failures_key
    from yesapp.redis import get_redis

    guesser = _client("203.0.113.8", "f" * 64)
    for _ in range(3):
        guesser.get(ME)
    assert guesser.get(ME).status_code == 429
    # The window is Redis's expiry of the count: wait for it, not for a fixed time.
    deadline = time.monotonic() + 10
    while get_redis().exists(_failures_key("203.0.113.8")) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert guesser.get(ME).status_code == 401


@override_settings(AUTH_FAILURE_LIMIT=3)
def test_successful_and_missing_keys_do_not_count_as_failures(raw_api_key):
    for _ in range(5):
        assert _client("203.0.113.9", raw_api_key).get(ME).status_code == 200
        assert _client("203.0.113.9").get(ME).status_code == 401
    assert _client("203.0.113.9", raw_api_key).get(ME).status_code == 200


@override_settings(AUTH_FAILURE_LIMIT=2, TRUST_X_FORWARDED_FOR=True)
def test_behind_a_trusted_proxy_the_client_is_the_last_forwarded_hop(raw_api_key):
    for _ in range(2):
        _client("10.0.0.1", "f" * 64, HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.10").get(ME)
    blocked = _client("10.0.0.1", "f" * 64, HTTP_X_FORWARDED_FOR="203.0.113.10")
    assert blocked.get(ME).status_code == 429
    other = _client("10.0.0.1", "f" * 64, HTTP_X_FORWARDED_FOR="203.0.113.11")
    assert other.get(ME).status_code == 401


@override_settings(AUTH_FAILURE_LIMIT=2)
def test_forwarded_for_is_ignored_unless_trusted(raw_api_key):
    for hop in ("203.0.113.20", "203.0.113.21"):
        _client("203.0.113.12", "f" * 64, HTTP_X_FORWARDED_FOR=hop).get(ME)
    assert _client("203.0.113.12", "f" * 64).get(ME).status_code == 429


def test_limit_fails_open_when_redis_is_down(raw_api_key, settings):
    settings.AUTH_FAILURE_LIMIT = 2
    settings.REDIS_URL = f"redis://127.0.0.1:{closed_port()}/0"
    settings.REDIS_SOCKET_TIMEOUT = 0.5
    guesser = _client("203.0.113.13", "f" * 64)
    for _ in range(4):
        assert guesser.get(ME).status_code == 401
    assert _client("203.0.113.13", raw_api_key).get(ME).status_code == 200


@override_settings(AUTH_FAILURE_LIMIT=2, AUTH_FAILURE_WINDOW=600)
def test_a_valid_key_is_never_locked_out_by_guesses_from_its_own_address(raw_api_key):
    # A shared NAT: someone else behind the same address guesses until refused.
    for _ in range(5):
        _client("203.0.113.30", "e" * 64).get(ME)
    assert _client("203.0.113.30", "e" * 64).get(ME).status_code == 429
    for _ in range(3):
        assert _client("203.0.113.30", raw_api_key).get(ME).status_code == 200
