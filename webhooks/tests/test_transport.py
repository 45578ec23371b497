"""Outbound HTTP against a real local server: private targets, redirects, bounds."""

import socket
import time

import pytest

from webhooks.models import DeliveryStatus, WebhookDelivery
from webhooks.services import webhook_configure, webhook_delivery_attempt
from webhooks.tests.conftest import Answer, emit_message
from webhooks.transport import post_webhook


def _post(url: str, timeout: float = 5):
    return post_webhook(url=url, body=b"{}", headers={"Content-Type": "application/json"}, timeout=timeout)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_private_targets_are_refused_at_connect_time_when_the_setting_is_off(settings, receiver, host):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    result = _post(receiver.url(host=host))
    assert result.permanent_error and result.status_code is None
    assert "private" in result.error and "WEBHOOK_ALLOW_PRIVATE" in result.error
    assert receiver.received() == []


def test_dns_rebinding_after_the_save_is_refused_at_delivery(settings, make_session, receiver, monkeypatch):
    """The host was public when saved and resolves to 127.0.0.1 when sent: nothing goes out."""
    settings.WEBHOOK_ALLOW_PRIVATE = False
    real_getaddrinfo = socket.getaddrinfo
    answers = iter(["93.184.215.14"])  # public for the first lookup (the save), loopback afterwards

    def rebinding_dns(host, port, *args, **kwargs):
        if host == "hooks.rebind.test":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers, "127.0.0.1"), port))]
        return real_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding_dns)
    session = make_session()
    webhook_configure(session=session, url=f"http://hooks.rebind.test:{receiver.port}/hook")
    emit_message(session, "m1")
    delivery = webhook_delivery_attempt(delivery_id=WebhookDelivery.objects.get().pk)
    assert delivery.status == DeliveryStatus.FAILED  # permanent: not retried
    assert "127.0.0.1" in delivery.last_error and "private" in delivery.last_error
    assert receiver.received() == []


def test_redirects_are_not_followed(settings, receiver):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    receiver.script("/hook", Answer(302, body=b""))
    result = _post(receiver.url())
    assert result.status_code == 302 and "not followed" in result.error
    assert len(receiver.received()) == 1


def test_the_response_read_is_bounded(settings, receiver):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    settings.WEBHOOK_RESPONSE_EXCERPT_BYTES = 100
    receiver.script("/hook", Answer(200, body=b"x" * 5_000_000))
    result = _post(receiver.url())
    assert result.succeeded and result.response_excerpt == "x" * 100


def test_a_slow_receiver_times_out_within_the_bound(settings, receiver):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    receiver.script("/hook", Answer(200, delay=3))
    started = time.monotonic()
    result = _post(receiver.url(), timeout=0.5)
    assert time.monotonic() - started < 1.5
    assert result.status_code is None and "Timed out" in result.error and not result.permanent_error


def test_a_closed_port_is_a_transient_connection_error(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = _post(f"http://127.0.0.1:{port}/hook")
    assert result.status_code is None and "refused" in result.error.lower() and not result.permanent_error
