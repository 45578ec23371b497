"""The login travels with the session: snapshots of a browser profile's login state.

WhatsApp Web keeps what keeps it linked (its keys and device identity) in the page origin's
IndexedDB and Local Storage, beside the cookies. A node snapshots those parts of the Chromium
profile (not its caches) into the database: a gzipped tar, encrypted with a key derived from
SECRET_KEY. A node that starts a session whose profile it does not have restores the newest
snapshot first, so with only PostgreSQL shared any node can run any session without a new scan.

A snapshot is never older than the link it holds: when a session shows a QR (its link is
gone: logged out, or never made), its snapshots are deleted, and a new link is snapshotted
within PROFILE_SNAPSHOT_FIRST_AFTER seconds.
"""

import base64
import hashlib
import io
import logging
import tarfile
import time
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.db import transaction

from sessions_app.fencing import session_fence_check
from sessions_app.models import ProfileSnapshot, Session

logger = logging.getLogger(__name__)

# Relative to the profile directory: the login state, and nothing Chromium rebuilds itself.
LOGIN_PARTS = (
    "Default/IndexedDB",
    "Default/Local Storage",
    "Default/Session Storage",
    "Default/Cookies",
    "Default/Cookies-journal",
    "Local State",
)
# Chromium's lock files: copying them would make the restored profile look in use.
_SKIPPED_NAMES = {"LOCK", "SingletonLock", "SingletonCookie", "SingletonSocket"}


class SnapshotTooLarge(Exception):
    pass


def _fernet() -> Fernet:
    """A key of its own, derived from SECRET_KEY, so a leaked database alone does not carry a
    usable WhatsApp login."""
    digest = hashlib.sha256(b"yesapp profile snapshot\0" + settings.SECRET_KEY.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def _pack(profile_dir: Path) -> tuple[bytes, int]:
    """The login parts as a gzipped tar, and how many files it holds."""
    buffer, files = io.BytesIO(), 0
    with tarfile.open(fileobj=buffer, mode="w:gz", compresslevel=6) as tar:
        for part in LOGIN_PARTS:
            path = profile_dir / part
            for file in [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file()):
                if file.name in _SKIPPED_NAMES or file.is_symlink():
                    continue
                try:
                    tar.add(file, arcname=str(file.relative_to(profile_dir)), recursive=False)
                except FileNotFoundError:  # Chromium removed it (a compacted log) meanwhile
                    continue
                files += 1
                _check_size(buffer.tell())  # stops early: gzip's buffer lags a little behind
    _check_size(buffer.tell())
    return buffer.getvalue(), files


def _check_size(size: int) -> None:
    if size > settings.PROFILE_SNAPSHOT_MAX_BYTES:
        raise SnapshotTooLarge(f"over {settings.PROFILE_SNAPSHOT_MAX_BYTES} bytes")


def snapshot_take(
    *, session_id, profile_dir: Path, node: str = "", lease_token: int | None = None
) -> ProfileSnapshot | None:
    """Stores a snapshot of the profile's login state and keeps the newest
    PROFILE_SNAPSHOTS_KEEP; None when there is nothing to take or it is over the size bound.
    StaleOwner when `lease_token` is no longer the owner's: an old profile must not win."""
    if not (profile_dir / "Default").is_dir():
        return None
    started = time.monotonic()
    try:
        packed, files = _pack(profile_dir)
    except SnapshotTooLarge as exc:
        logger.warning("Profile snapshot of %s skipped: %s (PROFILE_SNAPSHOT_MAX_BYTES)", session_id, exc)
        return None
    data = _fernet().encrypt(packed)
    took_ms = int((time.monotonic() - started) * 1000)
    with transaction.atomic():
        session = Session.objects.select_for_update().filter(pk=session_id).first()
        if session is None:
            return None
        session_fence_check(session, lease_token)
        snapshot = ProfileSnapshot.objects.create(
            session_id=session_id, data=data, size=len(data), files=files, took_ms=took_ms, node=node
        )
        keep = ProfileSnapshot.objects.filter(session_id=session_id).order_by("-id")[
            : settings.PROFILE_SNAPSHOTS_KEEP
        ]
        ProfileSnapshot.objects.filter(session_id=session_id).exclude(
            pk__in=list(keep.values_list("pk", flat=True))
        ).delete()
    logger.info(
        "Profile snapshot of %s: %s files, %s bytes in %s ms", session_id, files, len(data), took_ms,
        extra={"session_id": str(session_id)},
    )  # fmt: skip
    return snapshot


def has_login_state(profile_dir: Path) -> bool:
    return (profile_dir / "Default" / "IndexedDB").is_dir()


def snapshot_restore(*, session_id, profile_dir: Path) -> bool:
    """Unpacks the newest readable snapshot into a profile that has no login state of its own
    (a node that never ran the session, or lost its disk); True when one was restored."""
    if has_login_state(profile_dir):
        return False
    for snapshot in ProfileSnapshot.objects.filter(session_id=session_id).order_by("-id"):
        try:
            packed = _fernet().decrypt(bytes(snapshot.data))
        except InvalidToken:
            logger.error(
                "Profile snapshot #%s of %s cannot be decrypted (SECRET_KEY changed?)",
                snapshot.pk,
                session_id,
            )
            continue
        try:
            _unpack(packed, profile_dir)
        except (tarfile.TarError, OSError) as exc:
            logger.error("Snapshot #%s of %s cannot be unpacked: %s", snapshot.pk, session_id, exc)
            continue
        logger.info(
            "Restored profile snapshot #%s of %s (%s files)", snapshot.pk, session_id, snapshot.files,
            extra={"session_id": str(session_id)},
        )  # fmt: skip
        return True
    return False


def _unpack(packed: bytes, profile_dir: Path) -> None:
    """Extracts regular files only, and only inside the profile (the tar's own filter)."""
    profile_dir.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(packed), mode="r:gz") as tar:
        tar.extractall(profile_dir, filter="data")


def snapshots_forget(*, session_id) -> int:
    """Deletes the session's snapshots: its link is gone, and an old one must never come back."""
    deleted, _ = ProfileSnapshot.objects.filter(session_id=session_id).delete()
    if deleted:
        logger.info("Deleted %s profile snapshot(s) of %s: not linked", deleted, session_id)
    return deleted
