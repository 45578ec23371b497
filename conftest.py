"""Test-wide fixtures: API keys, Redis, real worker processes (yesapp/tests/fixtures.py).

The test data directory and Redis database are chosen in yesapp/tests/settings.py (pytest's
DJANGO_SETTINGS_MODULE), which pytest-django reads before any conftest.py.
"""

pytest_plugins = ["yesapp.tests.fixtures"]
