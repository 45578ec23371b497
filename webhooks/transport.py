"""Outbound HTTP for webhooks: one POST, bounded in time and size, never raising.

Connections go only to public addresses unless WEBHOOK_ALLOW_PRIVATE is set, checked
after DNS resolution where the socket opens (yesapp.outbound_http). Redirects are not
followed, so the request goes nowhere else.
"""

import logging
import threading
import time
from urllib.parse import urlsplit

import requests
from django.conf import settings
from urllib3 import Timeout
from urllib3.exceptions import NameResolutionError, NewConnectionError

from webhooks.policy import AttemptResult
from yesapp.outbound_address import is_public_address
from yesapp.outbound_http import PrivateAddressRefused, guarded_session, total_deadline

logger = logging.getLogger(__name__)

USER_AGENT = "YesApp-Webhooks/1.0"


_local = threading.local()


def _session() -> requests.Session:
    """One Session per worker thread: keep-alive to busy receivers without sharing state."""
    session = getattr(_local, "session", None)
    if session is None:
        session = guarded_session(address_allowed=_address_allowed, setting="WEBHOOK_ALLOW_PRIVATE")
        _local.session = session
    return session


def _address_allowed(address: str) -> bool:
    return settings.WEBHOOK_ALLOW_PRIVATE or is_public_address(address)


def safe_url(url: str) -> str:
    """The URL without its query string, for logs (receivers put tokens there)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def _root_cause(exc: BaseException) -> BaseException:
    # requests wraps urllib3's MaxRetryError, which holds the real reason.
    reason = exc.args[0] if exc.args else None
    return getattr(reason, "reason", None) or reason or exc


def post_webhook(*, url: str, body: bytes, headers: dict[str, str], timeout: float) -> AttemptResult:
    """POSTs `body` once. Returns what happened; network failures become an error text."""
    limit = settings.WEBHOOK_RESPONSE_EXCERPT_BYTES
    started = time.monotonic()
    session = _session()
    try:
        prepared = session.prepare_request(
            requests.Request(
                "POST",
                url,
                data=body,
                # identity: a compressed answer could inflate far past the bytes we mean to read.
                headers={"User-Agent": USER_AGENT, "Accept-Encoding": "identity", **headers},
            )
        )
    except (requests.exceptions.RequestException, ValueError) as exc:
        # Our own request is refused (a header value requests will not send): nothing will
        # make it acceptable, so it is not retried. What the receiver answers never is.
        return _result(started, error=str(exc)[:500], permanent_error=True)
    try:
        with (
            total_deadline(timeout) as cutoff,
            session.send(
                prepared, timeout=Timeout(total=timeout), allow_redirects=False, stream=True
            ) as response,
        ):
            if cutoff.expired:
                # Cut while reading the headers, which then look complete: no real answer.
                return _timed_out(started, timeout)
            status_code = response.status_code
            excerpt = _read_excerpt(response, limit=limit)
            error = ""
            if 300 <= status_code < 400:
                error = f"Redirect to {response.headers.get('Location', '?')!r} not followed"
            elif not 200 <= status_code < 300:
                error = f"HTTP {status_code}"
    except PrivateAddressRefused as exc:
        return _result(started, error=str(exc), permanent_error=True)
    except (requests.exceptions.RequestException, ValueError) as exc:
        return _failure(exc, started=started, url=url, timeout=timeout, cut=cutoff.expired)
    text = excerpt[:limit].decode("utf-8", errors="replace")
    return _result(started, status_code=status_code, error=error, response_excerpt=text)


def _failure(exc: Exception, *, started: float, url: str, timeout: float, cut: bool) -> AttemptResult:
    if cut:  # the deadline cut a receiver that kept dripping bytes
        return _timed_out(started, timeout)
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return _result(started, error=f"Could not connect to {safe_url(url)} within {timeout:g} s")
    if isinstance(exc, requests.exceptions.ConnectionError):
        cause = _root_cause(exc)
        if isinstance(cause, NameResolutionError):
            return _result(started, error=f"Could not resolve the host of {safe_url(url)}")
        return _result(started, error=_connection_error_text(cause))
    if isinstance(exc, requests.exceptions.Timeout):
        return _timed_out(started, timeout)
    return _result(started, error=str(exc)[:500])


def _timed_out(started: float, timeout: float) -> AttemptResult:
    return _result(started, error=f"Timed out after {timeout:g} s")


def _read_excerpt(response: requests.Response, *, limit: int) -> bytes:
    """At most `limit` bytes of the body: a huge or endless response costs nothing more.

    Reading a short body to its end lets the connection go back to the pool (keep-alive).
    The status line already arrived, so a body that breaks off (or that post_webhook's
    total_deadline cuts) doesn't change the outcome.
    """
    excerpt = b""
    try:
        for chunk in response.iter_content(chunk_size=max(1, min(limit, 8192))):
            excerpt += chunk
            if len(excerpt) >= limit:
                break
    except requests.exceptions.RequestException:
        pass
    return excerpt


def _connection_error_text(cause: BaseException) -> str:
    if isinstance(cause, NewConnectionError):
        return cause._message
    return str(cause)[:500]


def _result(started: float, **fields) -> AttemptResult:
    return AttemptResult(duration_ms=int((time.monotonic() - started) * 1000), **fields)
