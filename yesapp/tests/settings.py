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

os.environ["DATA_DIR"] = os.environ.get("TEST_DATA_DIR") or str(ROOT / "data" / "test")
os.environ["REDIS_URL"] = os.environ.get("TEST_REDIS_URL") or DEFAULT_TEST_REDIS_URL
os.environ.setdefault("LOG_LEVEL", "INFO")

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
