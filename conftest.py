"""Test-wide fixtures: API keys, Redis, real worker processes (yesapp/tests/fixtures.py).

The test data directory and Redis database are chosen in yesapp/tests/settings.py (pytest's
DJANGO_SETTINGS_MODULE), which pytest-django reads before any conftest.py.
"""

from pathlib import Path

import pytest

pytest_plugins = ["yesapp.tests.fixtures", "yesapp.tests.s3"]

# The PostgreSQL pass of `make test` (`-m postgres`) runs the tests of what can behave otherwise
# there: claims and locks of the queues, transactions and lost connections, real workers racing
# each other, aggregates, dates, ordering and pagination in queries. The rest (HTTP, validation,
# files, browsers, schema) runs the same code on either database and runs once, on SQLite.
# A test elsewhere joins the pass with @pytest.mark.postgres (browser tests too).
POSTGRES_MODULES = frozenset(
    {
        "dashboard/tests/test_chats_page.py",
        "dashboard/tests/test_failed_events.py",
        "dashboard/tests/test_stats.py",
        "events/tests/test_hub.py",
        "groups/tests/test_groups_api.py",
        "messaging/tests/test_contacts_api.py",
        "messaging/tests/test_faults.py",
        "messaging/tests/test_inbound.py",
        "messaging/tests/test_inbound_media.py",
        "messaging/tests/test_media_cleanup.py",
        "messaging/tests/test_media_url.py",
        "messaging/tests/test_message_person.py",
        "messaging/tests/test_outages.py",
        "messaging/tests/test_outbound.py",
        "messaging/tests/test_pacing.py",
        "messaging/tests/test_read_api.py",
        "messaging/tests/test_send_api.py",
        "messaging/tests/test_send_concurrency.py",
        "messaging/tests/test_sending_policy_api.py",
        "messaging/tests/test_storage.py",
        "messaging/tests/test_web_never_waits.py",
        "sandbox/tests/test_groups.py",
        "sessions_app/tests/test_actor.py",
        "sessions_app/tests/test_actor_events.py",
        "sessions_app/tests/test_api.py",
        "sessions_app/tests/test_command_wait.py",
        "sessions_app/tests/test_failed_events.py",
        "sessions_app/tests/test_faults.py",
        "sessions_app/tests/test_outages.py",
        "sessions_app/tests/test_state_machine.py",
        "waha/tests/test_send_read_api.py",
        "waha/tests/test_sessions_api.py",
        "waha/tests/test_webhook_events.py",
        "webhooks/tests/test_api.py",
        "webhooks/tests/test_delivery.py",
        "webhooks/tests/test_outages.py",
        "webhooks/tests/test_outbox.py",
        "yesapp/tests/test_apikeys.py",
        "yesapp/tests/test_celery.py",
        "yesapp/tests/test_list_envelope.py",
        "yesapp/tests/test_metrics.py",
    }
)


def pytest_configure(config):
    # A module renamed or split leaves its name here, and its tests silently leave the pass.
    root = Path(__file__).resolve().parent
    missing = sorted(module for module in POSTGRES_MODULES if not (root / module).is_file())
    if missing:
        raise pytest.UsageError(f"conftest.py POSTGRES_MODULES names missing modules: {missing}")


def pytest_collection_modifyitems(items):
    for item in items:
        module = item.nodeid.split("::")[0]
        if module in POSTGRES_MODULES and not item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.postgres)
