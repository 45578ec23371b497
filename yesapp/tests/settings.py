"""Settings for the test run (pytest's DJANGO_SETTINGS_MODULE): the app's settings, with the
test run's own data directory and Redis database, never the developer's.

REDIS_URL and DATA_DIR exported for `make run` (or set in .env) are overridden, not kept; a run
of its own can choose other places with the test-only TEST_REDIS_URL and TEST_DATA_DIR. This
has to happen here: pytest-django reads the settings before any conftest.py is imported.
"""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_TEST_REDIS_URL = "redis://127.0.0.1:6379/15"
# Under pytest-xdist (`make test TEST_WORKERS=2` runs `-n 2`) each worker gwN needs a Redis
# database and a data directory of its own, since tests empty theirs; worker gwN takes the Nth
# URL of TEST_REDIS_URL.
DEFAULT_TEST_REDIS_URLS = f"{DEFAULT_TEST_REDIS_URL},redis://127.0.0.1:6379/14"


class NotEnoughTestRedisDatabases(Exception):
    pass


def redis_url_for_worker(urls: str, worker: str) -> str:
    """The test Redis URL of xdist worker `worker` ("gw1"; "" outside xdist) from a
    comma-separated TEST_REDIS_URL; a worker without a URL of its own is an error, never a guess
    that could land on someone else's database."""
    choices = [url.strip() for url in urls.split(",") if url.strip()]
    index = int(worker.removeprefix("gw") or 0)
    if index >= len(choices):
        raise NotEnoughTestRedisDatabases(
            f"pytest-xdist worker {worker} has no Redis database of its own: TEST_REDIS_URL lists "
            f"{len(choices)} ({urls}). List one URL per worker, comma-separated, each an empty "
            "database of the test run's own."
        )
    return choices[index]


def data_dir_for_worker(base: str, worker: str) -> str:
    return f"{base}-{worker}" if worker else base


WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
os.environ["DATA_DIR"] = data_dir_for_worker(
    os.environ.get("TEST_DATA_DIR") or str(ROOT / "data" / "test"), WORKER
)
os.environ["REDIS_URL"] = redis_url_for_worker(
    os.environ.get("TEST_REDIS_URL") or DEFAULT_TEST_REDIS_URLS, WORKER
)
os.environ.setdefault("LOG_LEVEL", "INFO")
# Tests see instant sends unless they test pacing (they set a policy): the app's default preset,
# `natural`, would add typing and jitter to every send. Workers the tests start inherit it.
os.environ.setdefault("SENDING_POLICY_DEFAULT_PRESET", "off")

from yesapp.settings import *  # noqa: E402, F403

# Processes the tests start (workers, servers) read the app's own settings: they get their
# REDIS_URL and DATA_DIR from the environment above, or from what a test passes them.
os.environ["DJANGO_SETTINGS_MODULE"] = "yesapp.settings"

# The per-key request limit (20/s) would make tests that walk every route with one key flaky on
# a fast machine; the tests of the limit itself (yesapp/tests/test_ratelimit.py) switch it on.
API_RATE_LIMIT = 0

# Staff passwords are hashed with PBKDF2's many rounds in production; tests sign users in by the
# hundred, and the hash's strength is not what they test.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# WhiteNoise reads every static file's metadata when its middleware is made, and Django's test
# client makes the middleware anew for each client, so for nearly every test (tens of ms each).
# Its development mode looks files up per request instead and serves the same files: in tests
# they come from the finders either way (STATIC_ROOT stays empty), and no test reads the scan.
WHITENOISE_AUTOREFRESH = True
