"""Media files of messages: checking what a client sent against its declared type, fetching
them from a URL, and storing them as <messageId>.<ext> in the file storage (DATA_DIR/media, or
an S3 bucket: yesapp.file_storage).

Decoding, sniffing and the size limit are the base layer's (yesapp.media_input): the content
type always comes from the bytes, never from the client, and never claims an image, video or
audio the bytes are not.
"""

from __future__ import annotations

import ipaddress
import mimetypes
import os
from dataclasses import dataclass
from urllib.parse import unquote, urljoin, urlsplit

import requests
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from yesapp.errors import InvalidInput
from yesapp.file_storage import file_delete, file_save
from yesapp.media_input import (
    SAFE_EXTENSION,
    check_data,
    decode_base64,
    max_bytes,
    signature,
    sniff,
    too_large,
)
from yesapp.outbound_address import is_public_address, validate_public_url
from yesapp.outbound_http import PrivateAddressRefused, guarded_session, total_deadline

MEDIA_URL_MAX_REDIRECTS = 5
_CHUNK = 64 * 1024
# Families a declared media type accepts. Audio recorded by browsers and phones is often
# stored in a video container (webm, mp4), which sniffing reports as video.
_TYPE_ACCEPTS = {
    "image": ("image/",),
    "video": ("video/",),
    "audio": ("audio/", "video/mp4", "video/webm", "application/ogg"),
}
_TYPE_ACCEPTS["voice"] = _TYPE_ACCEPTS["audio"]  # a voice note is an audio file sent as one


class MediaFetchFailed(InvalidInput):
    code = "media_fetch_failed"


@dataclass(frozen=True)
class MediaBlob:
    """Bytes a client gave us, with what sniffing says they are."""

    data: bytes
    mimetype: str
    extension: str
    kind: str  # image | video | audio | voice | document
    filename: str


def clean_filename(name: str) -> str:
    """A file name safe to show and to put in Content-Disposition: no path, no control characters."""
    base = os.path.basename((name or "").replace("\\", "/"))
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '"<>|:*?')
    return base.strip(" .")[:200]


def kind_for(mimetype: str) -> str:
    for kind in ("image", "video", "audio"):
        if mimetype.startswith(kind + "/"):
            return kind
    return "document"


def build_blob(data: bytes, *, kind: str = "", claimed_mimetype: str = "", filename: str = "") -> MediaBlob:
    """Checks size and declared type against the bytes; `kind` empty means decide from them."""
    check_data(data)
    mimetype, extension = sniff(data, claimed_mimetype=claimed_mimetype, filename=filename)
    if not kind:
        kind = kind_for(mimetype)
    elif kind in _TYPE_ACCEPTS and not mimetype.startswith(_TYPE_ACCEPTS[kind]):
        raise InvalidInput(
            f"media.type is {kind!r} but the file is {mimetype}; send it as a document or fix the type.",
            details={"type": kind, "detected": mimetype},
            code="media_type_mismatch",
        )
    name = clean_filename(filename)
    if not name and kind == "document":
        name = f"file.{extension}"
    return MediaBlob(data=data, mimetype=mimetype, extension=extension, kind=kind, filename=name)


def store_file(*, message_id, data: bytes, extension: str) -> str:
    """Writes media/<messageId>.<ext> to the file storage (DATA_DIR/media or the S3 bucket,
    whole or not at all); returns its name there."""
    ext = extension if SAFE_EXTENSION.match(extension or "") else "bin"
    return file_save(f"{message_id}.{ext}", data)


def remove_file(name: str) -> None:
    file_delete(name)


def extension_for_mimetype(mimetype: str, data: bytes = b"") -> str:
    """Extension for media WhatsApp gave us: sniffed first, then the mimetype it reported."""
    signed = signature(data)
    if signed is not None:
        return signed[1]
    ext = (mimetypes.guess_extension((mimetype or "").split(";")[0].strip()) or "").lstrip(".")
    return ext if SAFE_EXTENSION.match(ext) else "bin"


# --- Fetching media from a URL ---------------------------------------------------------------


def address_allowed(address: str) -> bool:
    """Whether a fetch may connect to `address`; a seam the tests use to mark loopback aliases."""
    return settings.MEDIA_URL_ALLOW_PRIVATE or is_public_address(address)


def _check_url(url: str) -> None:
    """Scheme, host and no credentials; the address check happens at connect time, per hop."""
    try:
        validate_public_url(url, allow_private=True)
    except InvalidInput as exc:
        raise InvalidInput(
            f"media.url: {exc.message}", details={"url": url}, code="media_url_refused"
        ) from exc


def check_url_at_once(url: str) -> None:
    """What can be refused without the outside world, while the client waits: the URL's form,
    and a host that is an IP address the policy refuses. Names are resolved by the fetch."""
    _check_url(url)
    host = urlsplit(url.strip()).hostname or ""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return
    if not address_allowed(host):
        raise InvalidInput(
            f"media.url refused: {host} is a private address.",
            details={"url": url, "hint": "Set MEDIA_URL_ALLOW_PRIVATE=true to allow private addresses."},
            code="media_url_refused",
        )


def fetch_url(url: str) -> tuple[bytes, str, str]:
    """GETs `url` → (bytes, Content-Type, file name from the path).

    Bounded in time (MEDIA_URL_TIMEOUT for the whole fetch) and size (MEDIA_MAX_BYTES);
    redirects are followed by hand so every hop is checked; connections only go to public
    addresses unless MEDIA_URL_ALLOW_PRIVATE is set, checked after DNS resolution.
    """
    timeout = settings.MEDIA_URL_TIMEOUT
    # The lambda looks the policy up at connect time, so tests can replace `address_allowed`.
    http = guarded_session(address_allowed=lambda a: address_allowed(a), setting="MEDIA_URL_ALLOW_PRIVATE")
    with http, total_deadline(timeout) as cutoff:
        try:
            fetched = _fetch(http, url, timeout=timeout)
        except InvalidInput as exc:  # MediaFetchFailed, or a hop refused for what arrived cut short
            if cutoff.expired:  # the deadline cut a server that kept dripping bytes
                raise _took_too_long(url) from exc
            raise
        if cutoff.expired:  # a body cut short without a Content-Length looks complete
            raise _took_too_long(url)
        return fetched


def _took_too_long(url: str) -> MediaFetchFailed:
    return MediaFetchFailed(
        f"Fetching media.url took longer than {settings.MEDIA_URL_TIMEOUT} s.", details={"url": url}
    )


def _fetch(http: requests.Session, url: str, *, timeout: float) -> tuple[bytes, str, str]:
    for _ in range(MEDIA_URL_MAX_REDIRECTS + 1):
        _check_url(url)
        try:
            response = http.get(
                url,
                stream=True,
                allow_redirects=False,
                timeout=(min(5.0, timeout), timeout),
                headers={"User-Agent": "YesApp media fetch", "Accept": "*/*"},
            )
        except PrivateAddressRefused as exc:
            raise InvalidInput(
                f"media.url refused: {exc.host} resolves to a private address ({', '.join(exc.addresses)}).",
                details={
                    "url": url,
                    "hint": "Set MEDIA_URL_ALLOW_PRIVATE=true to allow private addresses.",
                },
                code="media_url_refused",
            ) from exc
        except requests.RequestException as exc:
            raise MediaFetchFailed(f"Could not fetch media.url: {exc}", details={"url": url}) from exc
        with response:
            if response.is_redirect:
                location = response.headers.get("Location", "")
                url = urljoin(url, location)
                continue
            if response.status_code != 200:
                raise MediaFetchFailed(
                    f"Fetching media.url answered HTTP {response.status_code}.",
                    details={"url": url, "status": response.status_code},
                )
            data = _read_capped(response, url=url)
            name = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
            return data, response.headers.get("Content-Type", ""), name
    raise MediaFetchFailed(
        f"media.url redirected more than {MEDIA_URL_MAX_REDIRECTS} times.", details={"url": url}
    )


def _read_capped(response: requests.Response, *, url: str) -> bytes:
    # No clock here: fetch_url's total_deadline cuts the connection when the time is up.
    limit = max_bytes()
    try:
        declared = int(response.headers.get("Content-Length") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        raise too_large(declared)
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in response.iter_content(_CHUNK):
            size += len(chunk)
            if size > limit:
                raise too_large(size)
            chunks.append(chunk)
    except requests.RequestException as exc:
        raise MediaFetchFailed(f"Could not fetch media.url: {exc}", details={"url": url}) from exc
    return b"".join(chunks)


@dataclass(frozen=True)
class MediaSource:
    """Where a client's media comes from: exactly one of `data` (base64), `url`, `upload`.
    `load` reads data and uploads; a URL is fetched later by a worker (messaging.media_url)."""

    kind: str = ""
    data: str | None = None
    url: str | None = None
    upload: UploadedFile | None = None
    filename: str = ""
    mimetype: str = ""

    def load(self) -> MediaBlob:
        filename, claimed = self.filename, self.mimetype
        if self.upload is not None:
            if self.upload.size > max_bytes():
                raise too_large(self.upload.size)
            raw = self.upload.read()
            filename = filename or self.upload.name or ""
            claimed = claimed or (self.upload.content_type or "")
        elif self.data is not None:
            raw = decode_base64(self.data)
        else:
            raise InvalidInput("media needs `data` (base64) or `url`.")
        return build_blob(raw, kind=self.kind, claimed_mimetype=claimed, filename=filename)
