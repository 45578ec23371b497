"""The retry policy, the signature and the body, without a broker or a database."""

import hashlib
import hmac
import json

import pytest

from events.body import build_body
from webhooks.policy import AttemptResult, is_retryable, next_delay, parse_delays
from webhooks.signing import generate_secret, sign


@pytest.mark.parametrize("status", [200, 201, 204, 299])
def test_2xx_is_success_and_never_retried(status):
    result = AttemptResult(status_code=status)
    assert result.succeeded
    assert not is_retryable(result)


@pytest.mark.parametrize("status", [500, 502, 503, 504, 599, 408, 429])
def test_5xx_408_and_429_are_retried(status):
    result = AttemptResult(status_code=status, error=f"HTTP {status}")
    assert not result.succeeded
    assert is_retryable(result)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 422, 301, 302, 307])
def test_other_4xx_and_redirects_are_not_retried(status):
    assert not is_retryable(AttemptResult(status_code=status, error=f"HTTP {status}"))


def test_network_errors_and_timeouts_are_retried_but_a_refused_private_target_is_not():
    assert is_retryable(AttemptResult(error="Timed out after 5 s"))
    assert is_retryable(AttemptResult(error="Connection refused"))
    assert not is_retryable(AttemptResult(error="resolves to 127.0.0.1", permanent_error=True))


def test_default_schedule_is_three_attempts_at_0_1_2_seconds():
    delays = parse_delays("0,1,2")
    assert delays == [0.0, 1.0, 2.0]
    # Attempt 1 goes at once; after 1 failed attempt wait 1 s, after 2 wait 2 s, after 3 stop.
    assert [next_delay(attempts_made=n, delays=delays) for n in range(4)] == [0.0, 1.0, 2.0, None]


def test_schedule_accepts_lists_and_fractions_and_refuses_nonsense():
    assert parse_delays(["0", "0.5"]) == [0.0, 0.5]
    assert parse_delays(" 0 , 30 ,") == [0.0, 30.0]
    for bad in ("", "a,b", "0,-1", []):
        with pytest.raises(ValueError):
            parse_delays(bad)


def test_signature_is_hmac_sha256_of_timestamp_dot_body_as_documented():
    secret, body = generate_secret(), '{"event":"message.received","text":"héllo"}'
    signature = sign(secret=secret, timestamp=1767607361, body=body)
    expected = hmac.new(secret.encode(), b"1767607361." + body.encode(), hashlib.sha256).hexdigest()
    assert signature == "sha256=" + expected
    assert sign(secret=secret, timestamp=1767607362, body=body) != signature
    assert secret.startswith("whsec_") and len(secret) > 40


def test_body_adds_event_session_and_timestamp_and_keeps_the_emitters_fields(settings):
    settings.PUBLIC_URL = "https://wa.example.com"
    body = build_body(
        event="message.received",
        session_id="3f1c2b9e-8d7a-4e62-9f0a-1b2c3d4e5f60",
        payload={"messageId": "m1", "from": "1@c.us", "text": "hé", "timestamp": "2026-01-05T10:02:41Z"},
    )
    data = json.loads(body)
    assert data["event"] == "message.received"
    assert data["sessionId"] == "3f1c2b9e-8d7a-4e62-9f0a-1b2c3d4e5f60"
    assert data["timestamp"] == "2026-01-05T10:02:41Z"
    assert data["mediaUrl"] is None
    assert "hé" in body  # UTF-8 as is, compact
    assert " " not in body.replace("hé", "")


def test_media_url_is_made_absolute_from_public_url(settings):
    settings.PUBLIC_URL = "https://wa.example.com"
    relative = json.loads(
        build_body(event="message.received", session_id="s", payload={"mediaUrl": "/api/v1/media/7"})
    )
    by_id = json.loads(build_body(event="message.status", session_id="s", payload={"mediaId": 7}))
    absolute = json.loads(
        build_body(
            event="message.received", session_id="s", payload={"mediaUrl": "https://cdn.example.com/m/7"}
        )
    )
    assert relative["mediaUrl"] == by_id["mediaUrl"] == "https://wa.example.com/api/v1/media/7"
    assert absolute["mediaUrl"] == "https://cdn.example.com/m/7"


def test_session_status_body_gets_a_timestamp_and_no_media_url():
    data = json.loads(
        build_body(
            event="session.status", session_id="s1", payload={"status": "connected", "previousStatus": "qr"}
        )
    )
    assert data["event"] == "session.status" and data["sessionId"] == "s1"
    assert data["status"] == "connected" and data["previousStatus"] == "qr"
    assert data["timestamp"].endswith("Z")
    assert "mediaUrl" not in data


def test_a_bad_retry_schedule_is_reported_by_the_system_check(settings):
    from webhooks.apps import check_webhook_settings

    assert check_webhook_settings() == []
    settings.WEBHOOK_RETRY_DELAYS = "0,soon"
    [error] = check_webhook_settings()
    assert error.id == "webhooks.E001" and "WEBHOOK_RETRY_DELAYS" in error.msg
