"""API key services: create (shown once), authenticate, revoke, and the first-start key."""

import hashlib
import hmac
import logging
import secrets
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from yesapp.errors import Conflict, InvalidInput, NotFound
from yesapp.file_storage import write_whole
from yesapp.models import ApiKey
from yesapp.validators import parse_session_id

logger = logging.getLogger(__name__)

PREFIX_LENGTH = 8
# Shortest prefix accepted for revoking, so a typo cannot revoke an unrelated key.
MIN_REVOKE_PREFIX = 4
NAME_MAX_LENGTH = ApiKey._meta.get_field("name").max_length
# last_used_at is written at most this often per key, so reads don't turn into writes.
LAST_USED_RESOLUTION = timedelta(seconds=60)


def hash_key(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


def apikey_create(*, name: str, is_admin: bool = True, session_ids: Iterable = ()) -> tuple[ApiKey, str]:
    """Makes a key of 32 random bytes; returns the row and the plain key, which is never stored.

    With `session_ids` the key is limited to those sessions (and never admin); every id must
    name an existing session.
    """
    name = (name or "").strip()
    if not name or len(name) > NAME_MAX_LENGTH:
        raise InvalidInput(
            f"A key needs a name of 1 to {NAME_MAX_LENGTH} characters.", details={"name": name}
        )
    wanted = {parse_session_id(value) for value in session_ids}
    if wanted:
        is_admin = False
    raw_key = secrets.token_hex(32)
    with transaction.atomic():
        if wanted:
            # The sessions a key may be limited to: whatever its `sessions` relation points at.
            sessions = ApiKey.sessions.field.related_model.objects
            known = set(sessions.filter(pk__in=wanted).values_list("pk", flat=True))
            if unknown := sorted(str(value) for value in wanted - known):
                raise InvalidInput(f"No session with id {', '.join(unknown)}.", details={"sessions": unknown})
        key = ApiKey.objects.create(
            name=name, prefix=raw_key[:PREFIX_LENGTH], key_hash=hash_key(raw_key), is_admin=is_admin
        )
        if wanted:
            key.sessions.set(list(wanted))
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
    """Revokes the one active key whose visible prefix starts with `prefix`.

    NotFound when none matches (or it is already revoked), Conflict when several do.
    """
    prefix = (prefix or "").strip()
    if len(prefix) < MIN_REVOKE_PREFIX:
        raise InvalidInput(
            f"Give at least {MIN_REVOKE_PREFIX} characters of the key's prefix.", details={"prefix": prefix}
        )
    with transaction.atomic():
        matches = list(
            ApiKey.objects.select_for_update().filter(prefix__startswith=prefix, revoked_at__isnull=True)[:2]
        )
        if not matches:
            raise NotFound(f"No active API key starts with {prefix!r}.", details={"prefix": prefix})
        if len(matches) > 1:
            raise Conflict(
                f"More than one active key starts with {prefix!r}; give more characters.",
                details={"prefix": prefix},
            )
        return apikey_revoke_key(key=matches[0])


def apikey_revoke_key(*, key: ApiKey) -> ApiKey:
    """Revokes `key` (no-op when already revoked); its next request gets 401."""
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        logger.info("API key revoked", extra={"api_key_prefix": key.prefix})
    return key


INITIAL_KEY_FILE = "initial_api_key"


def apikey_ensure_initial() -> str | None:
    """On first start (no key at all), makes an admin key, keeps it in DATA_DIR/initial_api_key
    (0600 from the start) and returns it for the console. The key never goes to the log."""
    with transaction.atomic():
        if ApiKey.objects.exists():
            return None
        key, raw_key = apikey_create(name="initial")
    path = settings.DATA_DIR / INITIAL_KEY_FILE
    # A key from an earlier, reset database is superseded.
    write_whole(path, (raw_key + "\n").encode(), mode=0o600)
    logger.warning(
        "Initial admin API key %s… made; shown on the console and kept in %s",
        key.prefix,
        path,
        extra={"api_key_prefix": key.prefix},
    )
    return raw_key
