"""A staff user gets in the dashboard only what their Django permissions allow: view versus
change, per model (sessions, messages, webhooks, API keys for the logs)."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from dashboard.tests.conftest import grant
from messaging.models import Direction, Message, MessageStatus
from sessions_app.models import SessionStatus
from webhooks.models import WebhookConfig

pytestmark = pytest.mark.django_db


def _browser_for(*perms: str, superuser: bool = False) -> Client:
    user = get_user_model().objects.create_user(
        username="limited", password="x-long-passphrase-1", is_staff=True, is_superuser=superuser
    )
    user = grant(user, *perms)
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def session(make_session):
    session = make_session("shop", status=SessionStatus.CONNECTED)
    Message.objects.create(
        session=session,
        direction=Direction.INBOUND,
        status=MessageStatus.RECEIVED,
        chat_id="33612345678@c.us",
        text="secret-order-text",
    )
    WebhookConfig.objects.create(session=session, url="https://hooks.example.com/wa", secret="s" * 32)
    return session


def _urls(session) -> dict[str, tuple[str, str]]:
    pk = session.pk
    return {
        "sessions": ("get", reverse("dashboard:sessions")),
        "session": ("get", reverse("dashboard:session", args=[pk])),
        "messages": ("get", reverse("dashboard:message-log", args=[pk])),
        "send": ("post", reverse("dashboard:message-send", args=[pk])),
        "contact-check": ("post", reverse("dashboard:contact-check", args=[pk])),
        "stop": ("post", reverse("dashboard:session-action", args=[pk, "stop"])),
        "delete": ("post", reverse("dashboard:session-action", args=[pk, "delete"])),
        "webhook-save": ("post", reverse("dashboard:webhook-save", args=[pk])),
        "webhook-deliveries": ("get", reverse("dashboard:webhook-deliveries", args=[pk])),
        "create": ("post", reverse("dashboard:session-create")),
        "logs": ("get", reverse("dashboard:logs")),
    }


def _status(client: Client, session, name: str) -> int:
    method, url = _urls(session)[name]
    return getattr(client, method)(url, {"name": "x"} if method == "post" else {}).status_code


def test_a_staff_user_without_permissions_sees_nothing(session):
    client = _browser_for()
    for name in _urls(session):
        assert _status(client, session, name) == 403, name


def test_view_sessions_only_shows_sessions_but_no_messages_webhooks_or_buttons(session):
    client = _browser_for("view_session")
    assert _status(client, session, "sessions") == 200
    page = client.get(reverse("dashboard:session", args=[session.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "secret-order-text" not in html and "hooks.example.com" not in html
    assert 'id="send-form"' not in html and "/actions/stop" not in html
    for name in (
        "messages",
        "send",
        "contact-check",
        "stop",
        "delete",
        "webhook-save",
        "webhook-deliveries",
        "create",
        "logs",
    ):
        assert _status(client, session, name) == 403, name
    session.refresh_from_db()
    assert session.desired_state == "running"  # the refused stop changed nothing


def test_view_permissions_show_messages_and_webhooks_but_allow_no_change(session):
    client = _browser_for("view_session", "view_message", "view_webhook")
    html = client.get(reverse("dashboard:session", args=[session.pk])).content.decode()
    assert "secret-order-text" in html and "hooks.example.com" in html
    assert 'id="webhook-form"' not in html and 'id="send-form"' not in html
    assert _status(client, session, "messages") == 200
    assert _status(client, session, "webhook-deliveries") == 200
    for name in ("send", "contact-check", "stop", "webhook-save"):
        assert _status(client, session, name) == 403, name
    assert WebhookConfig.objects.get(session=session).url == "https://hooks.example.com/wa"


def test_change_session_allows_stopping_but_not_deleting(session):
    client = _browser_for("view_session", "change_session")
    assert _status(client, session, "stop") in (200, 302)
    assert _status(client, session, "delete") == 403
    session.refresh_from_db()
    assert session.desired_state == "stopped"


def test_a_superuser_and_the_full_operator_get_everything(session, staff_client):
    for client in (_browser_for(superuser=True), staff_client):
        html = client.get(reverse("dashboard:session", args=[session.pk])).content.decode()
        assert "secret-order-text" in html and 'id="webhook-form"' in html and 'id="send-form"' in html
        assert _status(client, session, "logs") == 200
