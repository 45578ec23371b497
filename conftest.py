"""Test-wide setup: isolated data dir and Redis database, API keys, real worker processes."""

import os
from pathlib import Path

# Tests never touch the developer's data or Redis DB 0. Set before Django reads settings.
_ROOT = Path(__file__).resolve().parent
os.environ.setdefault("DATA_DIR", str(_ROOT / "data" / "test"))
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/15")
os.environ.setdefault("LOG_LEVEL", "INFO")

pytest_plugins = ["yesapp.tests.fixtures"]
