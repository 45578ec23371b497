"""Fixtures for the dashboard's tests: signed-in browsers-in-a-test-client, sessions made
directly in the database, and a real headless Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from sessions_app.models import Session, SessionStatus
from yesapp.apikeys import apikey_create

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "dashboard"


def sign_in_with_key(client: Client, raw_key: str):
    return client.post(reverse("dashboard:login"), {"method": "key", "key-api_key": raw_key})


@pytest.fixture
def admin_client(db, raw_api_key) -> Client:
    """A test client signed in to the dashboard with an admin API key."""
    client = Client()
    response = sign_in_with_key(client, raw_api_key)
    assert response.status_code == 302, response.content
    return client


def grant(user, *names: str):
    """Gives `user` the Django permissions behind these dashboard names (dashboard.auth.PERMS)."""
    from django.contrib.auth.models import Permission

    from dashboard.auth import PERMS

    for name in names:
        app_label, codename = PERMS[name].split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return get_user_model().objects.get(pk=user.pk)  # a fresh object: permissions are cached


@pytest.fixture
def staff_user(db):
    """An operator: staff, with every permission the dashboard asks for."""
    from dashboard.auth import PERMS

    user = get_user_model().objects.create_user(
        username="operator", password="correct horse battery", is_staff=True
    )
    return grant(user, *PERMS)


@pytest.fixture
def staff_client(staff_user) -> Client:
    client = Client()
    client.force_login(staff_user)
    return client


@pytest.fixture
def make_session(db):
    """Makes a session row directly (no engine): make_session("name", status="qr", ...)."""

    def make(
        name: str = "support", *, status: str = SessionStatus.STOPPED, sandbox: bool = True, **fields
    ) -> Session:
        fields.setdefault("desired_state", "stopped" if status in ("stopped", "failed") else "running")
        return Session.objects.create(name=name, status=status, sandbox=sandbox, **fields)

    return make


@pytest.fixture
def scoped_key(db, make_session):
    """A key limited to one session ("mine"), and another session it must not see."""
    mine, other = make_session("mine"), make_session("other")
    key, raw = apikey_create(name="scoped", session_ids=[mine.pk])
    return raw, mine, other


@pytest.fixture
def browser() -> Iterator:
    """A real headless Chromium driven by Selenium, with a phone-friendly default size."""
    from yesapp.tests.browser import new_test_driver

    driver = new_test_driver(extra_flags=("--lang=en-US",), console_logs=True)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def screenshot(browser):
    """screenshot("name") saves test-artifacts/dashboard/<name>.png (full page height)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(name: str, *, width: int | None = None) -> Path:
        size = browser.get_window_size()
        height = browser.execute_script("return Math.max(document.body.scrollHeight, 600)")
        browser.set_window_size(width or size["width"], min(int(height) + 120, 4000))
        path = ARTIFACTS / f"{name}.png"
        browser.save_screenshot(str(path))
        browser.set_window_size(size["width"], size["height"])
        return path

    return take
