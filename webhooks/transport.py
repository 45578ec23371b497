"""Outbound HTTP for webhooks: one POST, bounded in time and size, never raising.

The private-address rule is enforced where the socket is opened: the host is resolved,
every address is checked, and the socket connects to an address that passed. Checking a
URL and then letting the HTTP library resolve it again would let DNS rebinding swap the
address in between. Redirects are not followed and environment proxies are ignored, so
the request goes nowhere else.
"""

import logging
import socket
import threading
import time
from urllib.parse import urlsplit

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3 import Timeout
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util.connection import create_connection

from webhooks.policy import AttemptResult
from yesapp.validators import is_public_address

logger = logging.getLogger(__name__)

USER_AGENT = "YesApp-Webhooks/1.0"


class PrivateAddressRefused(NewConnectionError):
    """The host resolved only to private, loopback or link-local addresses."""


class _CheckedConnectMixin:
    """Resolves the host once, refuses private addresses, connects to an address it checked."""

    def _new_conn(self) -> socket.socket:
        try:
            infos = socket.getaddrinfo(self._dns_host, self.port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise NameResolutionError(self.host, self, exc) from exc
        addresses = list(dict.fromkeys(info[4][0] for info in infos))
        allowed = [a for a in addresses if settings.WEBHOOK_ALLOW_PRIVATE or is_public_address(a)]
        if not allowed:
            raise PrivateAddressRefused(
                self,
                f"{self.host} resolves to {', '.join(addresses)}: private addresses are refused "
                "(set WEBHOOK_ALLOW_PRIVATE=true to allow them)",
            )
        error: Exception | None = None
        for address in allowed:
            try:
                return create_connection(
                    (address, self.port),
                    self.timeout,
                    source_address=self.source_address,
                    socket_options=self.socket_options,
                )
            except TimeoutError:
                error = ConnectTimeoutError(self, f"Connection to {self.host} ({address}) timed out")
            except OSError as exc:
                error = NewConnectionError(self, f"Failed to connect to {self.host} ({address}): {exc}")
        raise error


class _CheckedHTTPConnection(_CheckedConnectMixin, HTTPConnection):
    pass


class _CheckedHTTPSConnection(_CheckedConnectMixin, HTTPSConnection):
    pass


class _CheckedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _CheckedHTTPConnection


class _CheckedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _CheckedHTTPSConnection


class _CheckedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _CheckedHTTPPool, "https": _CheckedHTTPSPool}


_local = threading.local()


def _session() -> requests.Session:
    """One Session per worker thread: keep-alive to busy receivers without sharing state."""
    session = getattr(_local, "session", None)
    if session is None:
        session = requests.Session()
        session.trust_env = False  # no proxies or .netrc from the environment
        adapter = _CheckedAdapter(max_retries=0, pool_connections=20, pool_maxsize=4)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        _local.session = session
    return session


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
    deadline = started + timeout
    try:
        with _session().post(
            url,
            data=body,
            # identity: a compressed answer could inflate far past the bytes we mean to read.
            headers={"User-Agent": USER_AGENT, "Accept-Encoding": "identity", **headers},
            timeout=Timeout(total=timeout),
            allow_redirects=False,
            stream=True,
        ) as response:
            status_code = response.status_code
            excerpt = _read_excerpt(response, limit=limit, deadline=deadline)
            error = ""
            if 300 <= status_code < 400:
                error = f"Redirect to {response.headers.get('Location', '?')!r} not followed"
            elif not 200 <= status_code < 300:
                error = f"HTTP {status_code}"
    except requests.exceptions.ConnectionError as exc:
        cause = _root_cause(exc)
        if isinstance(cause, PrivateAddressRefused):
            return _result(started, error=cause._message, permanent_error=True)
        if isinstance(cause, NameResolutionError):
            return _result(started, error=f"Could not resolve the host of {safe_url(url)}")
        return _result(started, error=_connection_error_text(cause))
    except requests.exceptions.Timeout:
        return _result(started, error=f"Timed out after {timeout:g} s")
    except (requests.exceptions.RequestException, ValueError) as exc:
        # ValueError: a header value requests refuses; nothing will make it acceptable.
        return _result(started, error=str(exc)[:500], permanent_error=isinstance(exc, ValueError))
    text = excerpt[:limit].decode("utf-8", errors="replace")
    return _result(started, status_code=status_code, error=error, response_excerpt=text)


def _read_excerpt(response: requests.Response, *, limit: int, deadline: float) -> bytes:
    """At most `limit` bytes of the body: a huge or endless response costs nothing more.

    Reading a short body to its end lets the connection go back to the pool (keep-alive).
    The status line already arrived, so a body that breaks off doesn't change the outcome.
    """
    excerpt = b""
    try:
        for chunk in response.iter_content(chunk_size=max(1, min(limit, 8192))):
            excerpt += chunk
            if len(excerpt) >= limit or time.monotonic() > deadline:
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
