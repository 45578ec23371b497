"""The per-key request rate limit: a Redis token bucket, 429 `rate_limited` with Retry-After,
one key's bucket independent of another's, and open (with a log line) while Redis is down."""

import logging
import threading
import time

import pytest
from rest_framework.test import APIClient

from yesapp import ratelimit
from yesapp.apikeys import apikey_create
from yesapp.tests.helpers import assert_error_shape, closed_port


@pytest.fixture
def limit(settings):
    def set_limit(rate: float, burst: int) -> None:
        settings.API_RATE_LIMIT, settings.API_RATE_LIMIT_BURST = rate, burst

    return set_limit


@pytest.fixture(autouse=True)
def no_remembered_outage(monkeypatch):
    monkeypatch.setattr(ratelimit, "_outage", ratelimit._Outage())


def client_for(name: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=apikey_create(name=name)[1])
    return client


def test_a_key_gets_its_burst_then_429_rate_limited_with_retry_after(api, limit):
    limit(rate=0.5, burst=3)

    statuses = [api.get("/api/v1/sessions").status_code for _ in range(3)]
    refused = api.get("/api/v1/sessions")

    assert statuses == [200, 200, 200]
    error = assert_error_shape(refused, 429, "rate_limited")
    assert int(refused["Retry-After"]) == 2  # one token every 2 s at 0.5 a second
    assert error["details"] == {"limit": 0.5, "burst": 3, "retry_after": 2}


def test_one_key_spending_its_bucket_leaves_the_others_theirs(api, limit, db):
    limit(rate=0.5, burst=2)
    other = client_for("other")
    for _ in range(2):
        api.get("/api/v1/sessions")
    assert api.get("/api/v1/sessions").status_code == 429

    assert other.get("/api/v1/sessions").status_code == 200


@pytest.mark.slow
def test_the_bucket_refills_at_the_rate(api, limit):
    # A token every 2 s: slow enough that a loaded machine's next request still finds none.
    limit(rate=0.5, burst=1)
    assert api.get("/api/v1/sessions").status_code == 200
    assert api.get("/api/v1/sessions").status_code == 429

    time.sleep(2.1)  # one token's worth; the bucket holds one

    assert api.get("/api/v1/sessions").status_code == 200
    assert api.get("/api/v1/sessions").status_code == 429


def test_concurrent_requests_never_take_more_than_the_burst():
    """The script reads, refills and takes in one step: 30 threads at once on a bucket of 10
    that barely refills get exactly 10 tokens."""
    results: list[float] = []
    start = threading.Barrier(30)

    def take() -> None:
        start.wait()
        results.append(ratelimit.take_token(bucket="yesapp:ratelimit:test", rate=0.001, burst=10))

    threads = [threading.Thread(target=take) for _ in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(1 for wait in results if wait == 0) == 10
    assert all(wait > 0 for wait in results if wait)


def test_zero_turns_the_limit_off(api, limit):
    limit(rate=0, burst=1)

    assert {api.get("/api/v1/sessions").status_code for _ in range(5)} == {200}


def test_requests_go_through_while_redis_is_down_with_one_log_line(api, limit, settings, caplog):
    limit(rate=0.5, burst=1)
    settings.REDIS_URL = f"redis://127.0.0.1:{closed_port()}/0"

    with caplog.at_level(logging.WARNING, logger="yesapp.ratelimit"):
        statuses = [api.get("/api/v1/sessions").status_code for _ in range(5)]

    assert statuses == [200] * 5
    warnings = [r for r in caplog.records if r.name == "yesapp.ratelimit"]
    assert len(warnings) == 1 and "rate limit is off" in warnings[0].getMessage()


def test_health_has_no_key_and_no_limit(client, limit):
    limit(rate=0.5, burst=1)

    assert {client.get("/health").status_code for _ in range(5)} == {200}
