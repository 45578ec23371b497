"""Outbound HTTP that cannot be pointed at private addresses (webhooks, media by URL).

The address rule is enforced where the socket is opened: the host is resolved once, every
address is checked, and the socket connects to an address that passed. Checking the URL
first and letting the HTTP library resolve it again would let DNS rebinding swap the
address in between. Sessions ignore environment proxies, which would connect for us.
"""

import socket
from collections.abc import Callable

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


class _CheckedConnectMixin:
    address_allowed: AddressPolicy
    setting: str

    def _new_conn(self) -> socket.socket:
        try:
            infos = socket.getaddrinfo(self._dns_host, self.port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise NameResolutionError(self.host, self, exc) from exc
        addresses = list(dict.fromkeys(info[4][0] for info in infos))
        # Any refused address refuses the host: a name that also points inside is not trusted.
        if not all(self.address_allowed(address) for address in addresses):
            raise PrivateAddressRefused(self.host, addresses, self.setting)
        error: Exception | None = None
        for address in addresses:
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
