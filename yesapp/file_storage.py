"""Files one process writes and another reads (media, profile pictures, login snapshots), kept
in Django's default storage: MEDIA_ROOT on the local disk, or an S3-compatible bucket
(FILE_STORAGE, yesapp/settings_storage.py). Names are relative to the storage's root.

Every reader and writer goes through these few functions, so the engine node that downloaded
a photo and the web server that serves it need to share only the storage, not a disk.
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path
from typing import IO

from botocore.exceptions import ClientError
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, Storage, storages

_CHUNK = 64 * 1024
# What a FileResponse of a stored file reads at a time (Django's default, 4 KiB, means sixteen
# times as many reads from an S3 connection); set as `response.block_size`.
STREAM_BLOCK = _CHUNK


def file_storage() -> Storage:
    return storages["default"]


def file_save(name: str, data: bytes) -> str:
    """Writes `data` under `name`, replacing what was there; returns the name it got.

    On disk the file is written beside and renamed into place, so a reader never sees half a
    file (and a full disk leaves none); an S3 PUT is whole by itself."""
    storage = file_storage()
    if not isinstance(storage, FileSystemStorage):
        return storage.save(name, ContentFile(data))
    path = Path(storage.path(name))
    path.parent.mkdir(parents=True, exist_ok=True)
    write_whole(path, data)
    return name


def write_whole(path: Path, data: bytes, *, mode: int = 0o666) -> None:
    """Writes `data` beside `path` and renames it into place: a reader sees the old file or the
    new one, never half of it, and a failed write (a full disk) leaves no partial file. The
    partial name is this thread's own, and it is made anew with `mode` (0o600 for a secret)."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.part")
    try:
        partial.unlink(missing_ok=True)  # a crashed writer's leftover keeps its own mode
        os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode))
        partial.write_bytes(data)  # into the file made above: its mode stays
        os.replace(partial, path)
    except OSError:
        partial.unlink(missing_ok=True)
        raise


def file_exists(name: str) -> bool:
    return bool(name) and file_storage().exists(name)


def file_read(name: str) -> bytes | None:
    """The file's bytes, or None when it is gone."""
    if not name:
        return None
    try:
        with file_storage().open(name, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def file_delete(name: str) -> None:
    """Deletes the file; one already gone is fine (deletes run again after crashes)."""
    if name:
        file_storage().delete(name)


def file_sha256(name: str) -> str:
    """The file's SHA-256 in hex, read in chunks; "" when it is gone."""
    opened = file_stream(name)
    if opened is None:
        return ""
    stream, _ = opened
    digest = hashlib.sha256()
    try:
        for chunk in iter(lambda: stream.read(_CHUNK), b""):
            digest.update(chunk)
    finally:
        stream.close()
    return digest.hexdigest()


def file_storage_problem() -> str | None:
    """Why the S3 bucket cannot be used (for `/ready`), or None; the disk needs no check."""
    storage = file_storage()
    if not hasattr(storage, "bucket_name"):
        return None
    try:
        storage.connection.meta.client.head_bucket(Bucket=storage.bucket_name)
    except Exception as exc:  # any client or network error means "not ready"
        return f"storage: bucket {storage.bucket_name!r}: {exc}"
    return None


class _ObjectBody:
    """An S3 object's body as the file-like FileResponse reads: chunks straight from the
    connection, so a large video is never buffered whole on the web server."""

    def __init__(self, body, name: str):
        self._body, self.name = body, name

    def read(self, size: int = -1) -> bytes:
        return self._body.read(None if size is None or size < 0 else size)

    def close(self) -> None:
        self._body.close()


def file_stream(name: str) -> tuple[IO[bytes], int] | None:
    """An open file to stream and its size in bytes, or None when it is gone. The caller (or
    the FileResponse it is given to) closes it."""
    if not name:
        return None
    storage = file_storage()
    try:
        opened = storage.open(name, "rb")
    except FileNotFoundError:
        return None
    obj = getattr(opened, "obj", None)  # django-storages' S3File: the boto3 Object, already HEADed
    if obj is None:
        return opened, opened.size
    # S3File.read would first download the whole object into a temporary file.
    try:
        body = obj.get()["Body"]
    except ClientError as exc:  # deleted between the HEAD and the GET
        if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            return None
        raise
    return _ObjectBody(body, os.path.basename(name)), obj.content_length
