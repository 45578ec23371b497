"""What a Cloud API webhook receiver expects besides the envelope: `X-Hub-Signature-256` on each
request, and Meta's verification handshake before the first one.

The app secret and the verify token are both the webhook's own secret (shown once when it is
made), so a receiver is configured with one value: pywa's `WhatsApp(app_secret=SECRET,
verify_token=SECRET)`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

import requests
from django.conf import settings

from yesapp.errors import InvalidInput
from yesapp.outbound_address import is_public_address
from yesapp.outbound_http import PrivateAddressRefused, guarded_session, total_deadline

USER_AGENT = "YesApp-Webhooks/1.0 (cloud)"
_EXCERPT = 200


def hub_signature(*, secret: str, body: str) -> str:
    """`sha256=` + hex HMAC-SHA256 of the exact body, keyed with the app secret."""
    digest = hmac.new(secret.encode(), body.encode(), hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def cloud_headers(*, secret: str, body: str) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Hub-Signature-256": hub_signature(secret=secret, body=body),
    }


def _address_allowed(address: str) -> bool:
    return settings.WEBHOOK_ALLOW_PRIVATE or is_public_address(address)


def verify_receiver(*, url: str, verify_token: str) -> None:
    """Meta's handshake: GET `url?hub.mode=subscribe&hub.verify_token=...&hub.challenge=N`; the
    receiver proves it is the one configured by answering 200 with the challenge itself.
    Raises InvalidInput with what the receiver did instead, so nothing is saved."""
    challenge = str(secrets.randbelow(10**9) + 10**9)
    params = {"hub.mode": "subscribe", "hub.verify_token": verify_token, "hub.challenge": challenge}
    timeout = settings.WEBHOOK_TIMEOUT
    http = guarded_session(address_allowed=_address_allowed, setting="WEBHOOK_ALLOW_PRIVATE")
    try:
        with http, total_deadline(timeout):
            response = http.get(
                url, params=params, timeout=timeout, allow_redirects=False, headers={"User-Agent": USER_AGENT}
            )
            answer = response.text[:_EXCERPT]
    except PrivateAddressRefused as exc:
        raise _refused(
            url, f"{exc.host} is a private address; set WEBHOOK_ALLOW_PRIVATE=true to allow it"
        ) from exc
    except requests.RequestException as exc:
        raise _refused(url, f"the request failed ({exc.__class__.__name__})") from exc
    if response.status_code != 200 or answer.strip() != challenge:
        raise _refused(
            url,
            f"it answered HTTP {response.status_code} {answer.strip()[:80]!r}, not 200 with the challenge. "
            "Configure the receiver's verify token as this webhook's secret",
        )


def _refused(url: str, why: str) -> InvalidInput:
    return InvalidInput(
        f"The receiver at {url} did not pass the Cloud API verification handshake "
        f"(GET with hub.mode=subscribe, hub.verify_token, hub.challenge): {why}.",
        code="webhook_verification_failed",
        details={"url": url},
    )
