"""WAHA's webhook signature: `X-Webhook-Hmac`, the hex HMAC-SHA512 of the exact body with the
webhook's key, named in `X-Webhook-Hmac-Algorithm` (how WAHA's receivers verify it)."""

import hashlib
import hmac

ALGORITHM = "sha512"


def waha_signature(body: str, key: str) -> str:
    return hmac.new(key.encode(), body.encode(), hashlib.sha512).hexdigest()


def waha_headers(*, body: str, key: str, request_id: str, timestamp_ms: int) -> dict[str, str]:
    headers = {
        "Content-Type": "application/json",
        "X-Webhook-Request-Id": request_id,
        "X-Webhook-Timestamp": str(timestamp_ms),
    }
    if key:
        headers |= {"X-Webhook-Hmac": waha_signature(body, key), "X-Webhook-Hmac-Algorithm": ALGORITHM}
    return headers
