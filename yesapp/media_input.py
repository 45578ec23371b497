"""Files a client hands in (the send API, the sandbox's contacts and page): base64 decoding,
what the bytes are, and the size limit (MEDIA_MAX_BYTES) with its one error.

What a file is comes from its bytes (`filetype`); a client's mimetype is believed only for
formats that carry no signature (plain text, CSV, ...).
"""

from __future__ import annotations

import base64
import binascii
import mimetypes
import re

import filetype
from django.conf import settings
from rest_framework import serializers
from rest_framework.validators import ProhibitSurrogateCharactersValidator

from yesapp.errors import InvalidInput, ServiceError

OCTET_STREAM = "application/octet-stream"
# A client-given mimetype is believed only for these signature-less formats; anything else
# that sniffing cannot identify is application/octet-stream.
_SIGNATURELESS_TYPES = re.compile(r"^(text/[a-z0-9.+-]+|application/(json|xml|csv|rtf|x-vcard)|text/vcard)$")
# File extensions that are safe in a stored file's name.
SAFE_EXTENSION = re.compile(r"^[a-z0-9]{1,8}$")


class MediaTooLarge(ServiceError):
    status_code = 413
    code = "payload_too_large"


def max_bytes() -> int:
    return settings.MEDIA_MAX_BYTES


def too_large(size: int) -> MediaTooLarge:
    limit = max_bytes()
    return MediaTooLarge(
        f"The media is {size} bytes; the limit is {limit} bytes (MEDIA_MAX_BYTES).",
        details={"size": size, "limit": limit},
    )


def check_size(size: int) -> None:
    """MediaTooLarge past MEDIA_MAX_BYTES; callers check a declared size before reading."""
    if size > max_bytes():
        raise too_large(size)


def check_data(data: bytes) -> bytes:
    """The bytes of a file, refused when empty or past MEDIA_MAX_BYTES."""
    if not data:
        raise InvalidInput("The media file is empty.")
    check_size(len(data))
    return data


def decode_base64(data: str) -> bytes:
    """Bytes from base64, with or without a `data:<type>;base64,` prefix; checks the size first."""
    text = data.strip()
    if text.startswith("data:"):
        header, _, text = text.partition(",")
        if ";base64" not in header:
            raise InvalidInput("media.data must be base64 (a data URL needs `;base64,`).")
    text = re.sub(r"\s+", "", text)
    # 4 base64 characters carry 3 bytes: refuse before decoding anything too big.
    check_size(len(text) * 3 // 4 - text[-2:].count("="))
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput(f"media.data is not valid base64: {exc}.") from exc
    if not raw:
        raise InvalidInput("media.data is empty.")
    return raw


def signature(data: bytes) -> tuple[str, str] | None:
    """(mimetype, extension) that the bytes' own signature gives, or None."""
    kind = filetype.guess(data) if data else None
    return (kind.mime, kind.extension) if kind is not None else None


def sniff(data: bytes, *, claimed_mimetype: str = "", filename: str = "") -> tuple[str, str]:
    """(mimetype, extension) from the bytes; a claimed type only for signature-less formats."""
    signed = signature(data)
    if signed is not None:
        return signed
    claimed = (claimed_mimetype or "").split(";")[0].strip().lower()
    if not _SIGNATURELESS_TYPES.match(claimed):
        guessed, _ = mimetypes.guess_type(filename or "")
        claimed = guessed if guessed and _SIGNATURELESS_TYPES.match(guessed) else ""
    if claimed:
        ext = (mimetypes.guess_extension(claimed) or ".txt").lstrip(".")
        return claimed, ext if SAFE_EXTENSION.match(ext) else "bin"
    return OCTET_STREAM, "bin"


class Base64Field(serializers.CharField):
    """A file as base64 text in a JSON body. Only a string is accepted (never a number), and it
    skips DRF's scan for surrogate characters: that walks a 16 MB file's 22 MB of text in
    Python, seconds of CPU per request, and `decode_base64` refuses anything but ASCII anyway."""

    def __init__(self, **kwargs):
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)
        self.validators = [
            v for v in self.validators if not isinstance(v, ProhibitSurrogateCharactersValidator)
        ]

    def to_internal_value(self, data):
        if not isinstance(data, str):
            raise serializers.ValidationError(f"Expected a string, got {type(data).__name__}.")
        return data
