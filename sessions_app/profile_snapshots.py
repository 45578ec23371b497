"""The login travels with the session: snapshots of a browser profile's login state.

WhatsApp Web keeps what keeps it linked (its keys and device identity) in the page origin's
IndexedDB and Local Storage, beside the cookies. A node snapshots those parts of the Chromium
profile (not its caches) into a store: a gzipped tar, encrypted with a key derived from
SECRET_KEY. PROFILE_SNAPSHOT_STORE=database keeps the bytes in the ProfileSnapshot row;
=storage puts them in the file storage (an S3 bucket when FILE_STORAGE=s3) and the row only
names them. The rows stay the index either way, so keeping the newest few and the lease
fencing are one transaction whatever the store. A node that starts a session whose profile it
does not have restores the newest snapshot first, so with only PostgreSQL (and the bucket, if
used) shared, any node can run any session without a new scan.

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
import uuid
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from sessions_app.fencing import session_fence_check
from sessions_app.models import ProfileSnapshot, Session
from yesapp.file_storage import file_delete, file_read, file_save

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
    # In storage mode the bytes are written before the row, so no row names a missing object.
    stored_name = _store(session_id, data) if settings.PROFILE_SNAPSHOT_STORE == "storage" else ""
    took_ms = int((time.monotonic() - started) * 1000)
    try:
        snapshot = _record(
            session_id=session_id,
            lease_token=lease_token,
            fields={"data": b"" if stored_name else data, "stored_name": stored_name, "size": len(data),
                    "files": files, "took_ms": took_ms, "node": node},
        )  # fmt: skip
    except BaseException:
        file_delete(stored_name)  # refused (StaleOwner) or failed: the object would be orphaned
        raise
    if snapshot is None:
        file_delete(stored_name)
        return None
    logger.info(
        "Profile snapshot of %s: %s files, %s bytes in %s ms", session_id, files, len(data), took_ms,
        extra={"session_id": str(session_id)},
    )  # fmt: skip
    return snapshot


def _store(session_id, data: bytes) -> str:
    """Writes the encrypted snapshot to the file storage under a fresh name: never overwrites
    one that a row still names."""
    return file_save(f"profile-snapshots/{session_id}/{uuid.uuid4().hex}.bin", data)


def _record(*, session_id, lease_token: int | None, fields: dict) -> ProfileSnapshot | None:
    """The snapshot's row, if `lease_token` still owns the session; the oldest beyond
    PROFILE_SNAPSHOTS_KEEP go (their stored objects follow: snapshot_deleted)."""
    with transaction.atomic():
        session = Session.objects.select_for_update().filter(pk=session_id).first()
        if session is None:
            return None
        session_fence_check(session, lease_token)
        snapshot = ProfileSnapshot.objects.create(session_id=session_id, **fields)
        keep = ProfileSnapshot.objects.filter(session_id=session_id).order_by("-id")[
            : settings.PROFILE_SNAPSHOTS_KEEP
        ]
        ProfileSnapshot.objects.filter(session_id=session_id).exclude(
            pk__in=list(keep.values_list("pk", flat=True))
        ).delete()
    return snapshot


@receiver(post_delete, sender=ProfileSnapshot, dispatch_uid="sessions_app.remove_snapshot_object")
def snapshot_deleted(sender, instance: ProfileSnapshot, **kwargs) -> None:
    """A stored snapshot's object goes with its row (pruned, forgotten, or its session
    deleted), after the commit: a rolled-back delete must not lose it."""
    if instance.stored_name:
        name = instance.stored_name
        transaction.on_commit(lambda: file_delete(name))


def _snapshot_bytes(snapshot: ProfileSnapshot) -> bytes | None:
    if snapshot.stored_name:
        return file_read(snapshot.stored_name)
    return bytes(snapshot.data)


def has_login_state(profile_dir: Path) -> bool:
    return (profile_dir / "Default" / "IndexedDB").is_dir()


def snapshot_restore(*, session_id, profile_dir: Path) -> bool:
    """Unpacks the newest readable snapshot into a profile that has no login state of its own
    (a node that never ran the session, or lost its disk); True when one was restored."""
    if has_login_state(profile_dir):
        return False
    for snapshot in ProfileSnapshot.objects.filter(session_id=session_id).order_by("-id"):
        data = _snapshot_bytes(snapshot)
        if data is None:
            logger.error("Profile snapshot #%s of %s is gone from the file storage", snapshot.pk, session_id)
            continue
        try:
            packed = _fernet().decrypt(data)
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
