"""The test suite never empties a Redis database or a data directory it was not given for tests:
REDIS_URL and DATA_DIR exported for `make run` are ignored, and a test database holding keys that
no test run wrote is refused. Each case runs a one-test pytest in a child process against a
redis-server of its own."""

import os
import subprocess
import sys

import pytest
import redis

from yesapp.tests.fixtures import ROOT, PrivateRedis
from yesapp.tests.settings import NotEnoughTestRedisDatabases, data_dir_for_worker, redis_url_for_worker

ONE_TEST = "yesapp/tests/test_validators.py::test_phone_from_chat_id"


@pytest.fixture
def own_redis(tmp_path):
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


def run_pytest(env_overrides: dict[str, str]) -> subprocess.CompletedProcess:
    # The child is a run of its own, not one more xdist worker of this one.
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("TEST_REDIS_URL", "TEST_DATA_DIR") and not k.startswith("PYTEST_XDIST_")
    }
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "-m", "pytest", ONE_TEST, "--no-cov", "-p", "no:cacheprovider", "-q"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def db(server: PrivateRedis, number: int) -> redis.Redis:
    return redis.Redis(port=server.port, db=number)


@pytest.mark.slow
def test_exported_redis_url_and_data_dir_are_left_alone(own_redis, tmp_path):
    db(own_redis, 3).set("my-app:state", "precious")
    app_data = tmp_path / "app-data"
    result = run_pytest(
        {
            "REDIS_URL": f"redis://127.0.0.1:{own_redis.port}/3",
            "DATA_DIR": str(app_data),
            "TEST_REDIS_URL": f"redis://127.0.0.1:{own_redis.port}/4",
        }
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert db(own_redis, 3).get("my-app:state") == b"precious"
    assert not app_data.exists()  # the run's files went to data/test
    assert db(own_redis, 4).dbsize() > 0  # the test database is the one that was used


@pytest.mark.slow
def test_a_test_database_holding_foreign_keys_is_refused_and_kept(own_redis):
    db(own_redis, 5).set("someone-else:key", "keep me")
    result = run_pytest({"TEST_REDIS_URL": f"redis://127.0.0.1:{own_redis.port}/5"})
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "holds keys that no test run wrote" in output
    assert "TEST_REDIS_URL" in output
    assert db(own_redis, 5).get("someone-else:key") == b"keep me"
    assert "passed" not in output


@pytest.mark.slow
def test_a_database_the_tests_used_before_is_reused(own_redis):
    url = f"redis://127.0.0.1:{own_redis.port}/6"
    assert run_pytest({"TEST_REDIS_URL": url}).returncode == 0
    db(own_redis, 6).set("left-by-a-test", "1")  # as a crashed run would leave it
    result = run_pytest({"TEST_REDIS_URL": url})
    assert result.returncode == 0, result.stdout + result.stderr
    assert db(own_redis, 6).get("left-by-a-test") is None


def test_each_xdist_worker_has_a_redis_database_and_a_data_dir_of_its_own():
    urls = "redis://127.0.0.1:6379/15, redis://127.0.0.1:6379/14"
    assert redis_url_for_worker(urls, "") == "redis://127.0.0.1:6379/15"
    assert redis_url_for_worker(urls, "gw1") == "redis://127.0.0.1:6379/14"
    assert data_dir_for_worker("/tmp/t", "") == "/tmp/t"
    assert data_dir_for_worker("/tmp/t", "gw1") == "/tmp/t-gw1"


def test_an_xdist_worker_without_a_redis_database_of_its_own_is_refused():
    with pytest.raises(NotEnoughTestRedisDatabases, match="gw1"):
        redis_url_for_worker("redis://127.0.0.1:6379/3", "gw1")
