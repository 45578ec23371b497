"""API key services: create (shown once), authenticate, revoke, and the first-start key."""

import hashlib
import hmac
import logging
import secrets
from collections.abc import Iterable
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from yesapp.errors import NotFound
from yesapp.models import ApiKey

logger = logging.getLogger(__name__)

PREFIX_LENGTH = 8
# last_used_at is written at most this often per key, so reads don't turn into writes.
LAST_USED_RESOLUTION = timedelta(seconds=60)


def hash_key(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


def apikey_create(*, name: str, is_admin: bool = True, session_ids: Iterable = ()) -> tuple[ApiKey, str]:
    """Makes a key of 32 random bytes; returns the row and the plain key, which is never stored."""
    raw_key = secrets.token_hex(32)
    with transaction.atomic():
        key = ApiKey.objects.create(
            name=name, prefix=raw_key[:PREFIX_LENGTH], key_hash=hash_key(raw_key), is_admin=is_admin
        )
        if session_ids:
            key.sessions.set(list(session_ids))
    logger.info("API key created", extra={"api_key_prefix": key.prefix, "api_key_name": name})
    return key, raw_key


def apikey_authenticate(raw_key: str) -> ApiKey | None:
    """The active key matching `raw_key`, or None. Records when it was last used."""
    if not raw_key or len(raw_key) > 256:
        return None
    digest = hash_key(raw_key)
    key = ApiKey.objects.filter(key_hash=digest, revoked_at__isnull=True).first()
    # The lookup is by hash; the constant-time compare guards against any index timing leak.
    if key is None or not hmac.compare_digest(key.key_hash, digest):
        return None
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key


def apikey_revoke(*, prefix: str) -> ApiKey:
    """Revokes the one active key whose prefix is `prefix`."""
    matches = list(ApiKey.objects.filter(prefix__startswith=prefix, revoked_at__isnull=True)[:2])
    if not prefix or not matches:
        raise NotFound(f"No active API key starts with {prefix!r}.")
    if len(matches) > 1:
        raise NotFound(f"More than one active key starts with {prefix!r}; give more characters.")
    key = matches[0]
    key.revoked_at = timezone.now()
    key.save(update_fields=["revoked_at"])
    logger.info("API key revoked", extra={"api_key_prefix": key.prefix})
    return key


def apikey_ensure_initial() -> str | None:
    """On first start (no key at all), makes an admin key and logs it once as `API Key: <key>`."""
    with transaction.atomic():
        if ApiKey.objects.exists():
            return None
        _, raw_key = apikey_create(name="initial")
    logger.warning("API Key: %s", raw_key)
    return raw_key
