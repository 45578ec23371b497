"""Outbound HTTP that cannot be pointed at private addresses (webhooks, media by URL).

The address rule is enforced where the socket is opened: the host is resolved once, every
address is checked, and the socket connects to an address that passed. Checking the URL
first and letting the HTTP library resolve it again would let DNS rebinding swap the
address in between. Sessions ignore environment proxies, which would connect for us.

Timeouts: requests' timeouts bound each socket operation, so a server that drips a byte now
and then holds a request for ever. `total_deadline` bounds the whole exchange: when it
passes, the sockets of the requests made under it are shut down, which ends any read. One
thread per process watches every deadline (a thread started per request cost more CPU than
a request to a fast receiver over a kept-alive connection).
"""

import contextlib
import heapq
import itertools
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator

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
    """The end of an exchange: past it, the connections it watches are shut down."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.ends_at = time.monotonic() + seconds
        self.expired = False
        self._closed = False
        self._handles: list[socket.socket] = []
        self._lock = threading.Lock()

    def remaining(self) -> float:
        return max(0.0, self.ends_at - time.monotonic())

    def watch(self, sock: socket.socket) -> None:
        """Keeps a handle of its own on the connection (a dup of the descriptor): TLS wraps the
        socket in another object during the handshake, and the handle still reaches it."""
        with contextlib.suppress(OSError):
            handle = socket.socket(sock.family, sock.type, sock.proto, fileno=os.dup(sock.fileno()))
            with self._lock:
                self._handles.append(handle)
                if self.expired:
                    _shut(handle)

    def _expire(self) -> None:
        with self._lock:
            if self._closed:
                return
            self.expired = True
            for handle in self._handles:
                _shut(handle)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            for handle in self._handles:
                handle.close()  # our descriptor only: the connection lives on if in use
            self._handles.clear()


def _shut(handle: socket.socket) -> None:
    # Shutting the connection down (not closing a descriptor) ends any blocked read or
    # handshake on it, in whichever object reads it.
    with contextlib.suppress(OSError):
        handle.shutdown(socket.SHUT_RDWR)


class _Watchdog:
    """Expires deadlines when their time comes, from one thread started on first use (and
    again in a forked child, which has no threads)."""

    def __init__(self):
        self._due: list[tuple[float, int, Deadline]] = []
        self._order = itertools.count()
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None

    def watch(self, deadline: Deadline) -> None:
        with self._changed:
            heapq.heappush(self._due, (deadline.ends_at, next(self._order), deadline))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="outbound-deadlines", daemon=True)
                self._thread.start()
            if self._due[0][2] is deadline:  # the thread sleeps until an earlier one otherwise
                self._changed.notify()

    def _run(self) -> None:
        while True:
            with self._changed:
                while not self._due or self._due[0][0] > time.monotonic():
                    self._changed.wait(self._due[0][0] - time.monotonic() if self._due else None)
                _, _, deadline = heapq.heappop(self._due)
            deadline._expire()  # a closed one ignores it


_watchdog = _Watchdog()


def _new_watchdog_in_child() -> None:
    global _watchdog
    _watchdog = _Watchdog()  # the parent's lock may have been held at the fork


os.register_at_fork(after_in_child=_new_watchdog_in_child)

_local = threading.local()


@contextlib.contextmanager
def total_deadline(seconds: float) -> Iterator[Deadline]:
    """Bounds every request this thread makes through a guarded session inside the block to
    `seconds` in all: DNS, connecting (to each address in turn), the TLS handshake, sending
    and reading. Check `deadline.expired` when a request fails: a cut connection then means
    the time ran out."""
    deadline = Deadline(seconds)
    previous = getattr(_local, "deadline", None)
    _local.deadline = deadline
    _watchdog.watch(deadline)
    try:
        yield deadline
    finally:
        deadline.close()
        _local.deadline = previous


def _current_deadline() -> Deadline | None:
    return getattr(_local, "deadline", None)


def _watch(sock: socket.socket | None) -> None:
    deadline = _current_deadline()
    if deadline is not None and sock is not None:
        deadline.watch(sock)


DEFAULT_STEP_TIMEOUT = 10.0  # for a step given no timeout of its own


def _time_left(timeout) -> float:
    """A step's timeout: its own (or DEFAULT_STEP_TIMEOUT), capped by the deadline's rest."""
    seconds = float(timeout) if isinstance(timeout, int | float) and timeout > 0 else DEFAULT_STEP_TIMEOUT
    deadline = _current_deadline()
    return min(seconds, deadline.remaining()) if deadline is not None else seconds


def resolve(host: str, port: int, *, timeout: float) -> list:
    """getaddrinfo has no timeout of its own: a slow DNS server (the target's own, say) could
    hold a request for resolv.conf's timeouts × attempts × servers. Each lookup gets a thread
    of its own, which the caller stops waiting for at `timeout` (a shared pool would let one
    receiver's hung lookups delay everyone else's)."""
    answer: dict = {}
    done = threading.Event()

    def lookup() -> None:
        try:
            answer["infos"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            answer["error"] = exc
        finally:
            done.set()

    threading.Thread(target=lookup, name="outbound-dns", daemon=True).start()
    if not done.wait(timeout):
        raise socket.gaierror(f"resolving {host} took longer than {timeout:g} s")
    if "error" in answer:
        raise answer["error"]
    return answer["infos"]


class _CheckedConnectMixin:
    address_allowed: AddressPolicy
    setting: str

    def request(self, *args, **kwargs):
        _watch(self.sock)  # a kept-alive connection: its socket exists already
        return super().request(*args, **kwargs)

    def _new_conn(self) -> socket.socket:
        try:
            infos = resolve(self._dns_host, self.port, timeout=_time_left(self.timeout))
        except socket.gaierror as exc:
            raise NameResolutionError(self.host, self, exc) from exc
        addresses = list(dict.fromkeys(info[4][0] for info in infos))
        # Any refused address refuses the host: a name that also points inside is not trusted.
        if not all(self.address_allowed(address) for address in addresses):
            raise PrivateAddressRefused(self.host, addresses, self.setting)
        error: Exception | None = None
        for address in addresses:
            timeout = _time_left(self.timeout)  # many dead addresses share one deadline
            if timeout <= 0:
                break
            try:
                sock = create_connection(
                    (address, self.port),
                    timeout,
                    source_address=self.source_address,
                    socket_options=self.socket_options,
                )
            except TimeoutError:
                error = ConnectTimeoutError(self, f"Connection to {self.host} ({address}) timed out")
                continue
            except OSError as exc:
                error = NewConnectionError(self, f"Failed to connect to {self.host} ({address}): {exc}")
                continue
            # Later reads use the request's own timeout; the deadline may cut it (and the TLS
            # handshake) short.
            sock.settimeout(self.timeout if isinstance(self.timeout, int | float) else None)
            _watch(sock)
            return sock
        raise error or ConnectTimeoutError(self, f"Connecting to {self.host} ran out of time")


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
