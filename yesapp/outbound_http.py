"""Outbound HTTP that cannot be pointed at private addresses (webhooks, media by URL).

The address rule is enforced where the socket is opened: the host is resolved once, every
address is checked, and the socket connects to an address that passed. Checking the URL
first and letting the HTTP library resolve it again would let DNS rebinding swap the
address in between. Sessions ignore environment proxies, which would connect for us.

Timeouts: requests' timeouts bound each socket operation, so a server that drips a byte now
and then holds a request for ever. `total_deadline` bounds the whole exchange: when it
passes, the sockets of the requests made under it are shut down, which ends any read.
"""

import contextlib
import socket
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util.connection import create_connection

AddressPolicy = Callable[[str], bool]


class PrivateAddressRefused(Exception):
    """The host resolved to an address the policy refuses (private, loopback, link-local)."""

    def __init__(self, host: str, addresses: list[str], setting: str):
        super().__init__(
            f"{host} resolves to {', '.join(addresses)}: private addresses are refused "
            f"(set {setting}=true to allow them)"
        )
        self.host, self.addresses, self.setting = host, addresses, setting


class Deadline:
    """The end of an exchange: past it, the sockets it watches are shut down."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
            if self.expired:
                _shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                _shut(sock)


def _shut(sock: socket.socket) -> None:
    # The plain socket's shutdown, also for a TLS socket (whose own would tear down its SSL
    # object under the thread reading it): the blocked read returns at once.
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


_local = threading.local()


@contextlib.contextmanager
def total_deadline(seconds: float) -> Iterator[Deadline]:
    """Bounds every request this thread makes through a guarded session inside the block to
    `seconds` in all. Check `deadline.expired` when a request fails: a cut connection then
    means the time ran out."""
    deadline = Deadline(seconds)
    previous = getattr(_local, "deadline", None)
    _local.deadline = deadline
    deadline._timer.start()
    try:
        yield deadline
    finally:
        deadline._timer.cancel()
        _local.deadline = previous


def _watch(sock: socket.socket | None) -> None:
    deadline = getattr(_local, "deadline", None)
    if deadline is not None and sock is not None:
        deadline.watch(sock)


# getaddrinfo has no timeout of its own: a slow DNS server (the target's own, say) could hold
# a request for resolv.conf's timeouts × attempts × servers. Resolving in this small pool lets
# the caller stop waiting at its connect timeout.
_resolver = ThreadPoolExecutor(max_workers=4, thread_name_prefix="outbound-dns")
DEFAULT_RESOLVE_TIMEOUT = 10.0


def _seconds(timeout) -> float:
    return float(timeout) if isinstance(timeout, int | float) and timeout > 0 else DEFAULT_RESOLVE_TIMEOUT


def _resolve(host: str, port: int, *, timeout: float) -> list:
    future = _resolver.submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    try:
        return future.result(timeout=timeout)
    except FutureTimeout:
        raise socket.gaierror(f"resolving {host} took longer than {timeout:g} s") from None


class _CheckedConnectMixin:
    address_allowed: AddressPolicy
    setting: str

    def request(self, *args, **kwargs):
        _watch(self.sock)  # a kept-alive connection: its socket exists already
        return super().request(*args, **kwargs)

    def _new_conn(self) -> socket.socket:
        try:
            infos = _resolve(self._dns_host, self.port, timeout=_seconds(self.timeout))
        except socket.gaierror as exc:
            raise NameResolutionError(self.host, self, exc) from exc
        addresses = list(dict.fromkeys(info[4][0] for info in infos))
        # Any refused address refuses the host: a name that also points inside is not trusted.
        if not all(self.address_allowed(address) for address in addresses):
            raise PrivateAddressRefused(self.host, addresses, self.setting)
        error: Exception | None = None
        for address in addresses:
            try:
                sock = create_connection(
                    (address, self.port),
                    self.timeout,
                    source_address=self.source_address,
                    socket_options=self.socket_options,
                )
                _watch(sock)
                return sock
            except TimeoutError:
                error = ConnectTimeoutError(self, f"Connection to {self.host} ({address}) timed out")
            except OSError as exc:
                error = NewConnectionError(self, f"Failed to connect to {self.host} ({address}): {exc}")
        raise error


def guarded_session(
    *, address_allowed: AddressPolicy, setting: str, pool_maxsize: int = 4
) -> requests.Session:
    """A requests Session whose connections go only to addresses `address_allowed` accepts.

    `setting` names the setting that allows private targets, for the error message.
    """
    attrs = {"address_allowed": staticmethod(address_allowed), "setting": setting}
    http_conn = type("CheckedHTTPConnection", (_CheckedConnectMixin, HTTPConnection), attrs)
    https_conn = type("CheckedHTTPSConnection", (_CheckedConnectMixin, HTTPSConnection), attrs)
    pools = {
        "http": type("CheckedHTTPPool", (HTTPConnectionPool,), {"ConnectionCls": http_conn}),
        "https": type("CheckedHTTPSPool", (HTTPSConnectionPool,), {"ConnectionCls": https_conn}),
    }

    class CheckedAdapter(HTTPAdapter):
        def init_poolmanager(self, *args, **kwargs) -> None:
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = pools

    session = requests.Session()
    session.trust_env = False
    adapter = CheckedAdapter(max_retries=0, pool_connections=20, pool_maxsize=pool_maxsize)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
