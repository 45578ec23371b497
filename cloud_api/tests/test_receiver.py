"""The verification handshake against pywa's own challenge handling, on a real HTTP server."""

import pytest

from cloud_api.receiver import verify_receiver
from cloud_api.tests.pywa_receiver import PywaReceiver
from yesapp.errors import InvalidInput


@pytest.fixture
def pywa_receiver(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    receivers = []

    def start(**kwargs) -> PywaReceiver:
        receivers.append(PywaReceiver(phone_id="1", **kwargs))
        return receivers[-1]

    yield start
    for receiver in receivers:
        receiver.stop()


def test_a_receiver_with_the_secret_as_verify_token_passes(pywa_receiver):
    receiver = pywa_receiver(secret="the-secret")
    verify_receiver(url=receiver.url, verify_token="the-secret")


def test_a_receiver_with_another_verify_token_is_refused_with_the_reason(pywa_receiver):
    receiver = pywa_receiver(secret="the-secret", verify_token="something-else")
    with pytest.raises(InvalidInput) as refused:
        verify_receiver(url=receiver.url, verify_token="the-secret")
    assert refused.value.code == "webhook_verification_failed"
    assert "HTTP 403" in refused.value.message and "verify token" in refused.value.message


def test_a_private_receiver_is_refused_unless_allowed(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    with pytest.raises(InvalidInput) as refused:
        verify_receiver(url="http://127.0.0.1:9/hook", verify_token="x")
    assert "WEBHOOK_ALLOW_PRIVATE" in refused.value.message


def test_nobody_listening_is_refused(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    with pytest.raises(InvalidInput) as refused:
        verify_receiver(url="http://127.0.0.1:9/hook", verify_token="x")
    assert "ConnectionError" in refused.value.message
