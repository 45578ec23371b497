"""Webhook signatures: `X-YesApp-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`.

Signing the timestamp with the body lets a receiver refuse replays of an old request;
docs/WEBHOOKS.md shows the receiver's side.
"""

import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"
# A secret you choose: printable ASCII without spaces, so it travels the same in any config
# file or environment variable and the API schema can say it as a pattern.
SECRET_PATTERN = r"^[!-~]{16,200}$"


def generate_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def sign(*, secret: str, timestamp: int, body: str) -> str:
    message = f"{timestamp}.{body}".encode()
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
