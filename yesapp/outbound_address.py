"""Where this server may send a request: the address rule (public unicast only, IPv4 carried
in IPv6 judged by where it leads) and the URL check that saving a webhook or a media URL runs.
The same rule is applied again on connect by yesapp/outbound_http.py."""

import ipaddress
from urllib.parse import urlsplit

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from yesapp.errors import InvalidInput
from yesapp.outbound_http import resolve

URL_MAX_LENGTH = 2048

# What the API schema says of such a URL, as validate_public_url reads it: http(s) in any case,
# a host without credentials, a port in range. Where the host leads is checked on save and on
# connect, which no pattern can say.
_PORT = r"0*(?:6553[0-5]|655[0-2]\d|65[0-4]\d\d|6[0-4]\d{3}|[1-5]\d{4}|\d{1,4})"
URL_SCHEMA = {
    "type": "string",
    "pattern": rf"^\s*[hH][tT][tT][pP][sS]?://[^\s/?#@:\[\]]+(?::(?:{_PORT})?)?(?:[/?#][\s\S]*)?$",
    "example": "https://example.com/whatsapp/hook",
}

# IPv6 ranges whose last 32 bits are an IPv4 address the packet ends up at: IPv4-compatible
# (deprecated), SIIT, and NAT64's well-known prefix.
_IPV4_IN_LAST_32_BITS = tuple(
    ipaddress.ip_network(net) for net in ("::/96", "::ffff:0:0:0/96", "64:ff9b::/96")
)
# NAT64's local-use prefix: where its IPv4 address sits depends on the local prefix length
# (RFC 6052), so it cannot be judged; refused.
_LOCAL_NAT64 = ipaddress.ip_network("64:ff9b:1::/48")


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one leads to (mapped, 6to4, NAT64, ...), if it carries one."""
    if ip.ipv4_mapped or ip.sixtofour:
        return ip.ipv4_mapped or ip.sixtofour
    if any(ip in net for net in _IPV4_IN_LAST_32_BITS):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public_address(address: str) -> bool:
    """True only for globally routable unicast addresses (not loopback, private, link-local...).
    An IPv6 address that carries an IPv4 one (::ffff:127.0.0.1, 64:ff9b::7f00:1, 2002:7f00:1::)
    is judged by the IPv4 address it leads to."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.teredo or ip in _LOCAL_NAT64:
            return False  # the IPv4 address in it cannot be judged
        ip = embedded_ipv4(ip) or ip
    # Site-local (fec0::/10) is deprecated but still routed inside some networks, and Python
    # counts it as global.
    return ip.is_global and not ip.is_multicast and not getattr(ip, "is_site_local", False)


def validate_public_url(url: str, *, allow_private: bool) -> str:
    """An http(s) URL without credentials whose host resolves only to public addresses.

    With `allow_private` the address check is skipped. Callers that fetch or post must call
    this again right before connecting: DNS can change between saving and sending.
    """
    if not isinstance(url, str) or len(url) > URL_MAX_LENGTH:
        raise InvalidInput(
            f"The URL must be text of at most {URL_MAX_LENGTH} characters.", details={"url": url}
        )
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise InvalidInput(f"{url!r} is not a valid URL: {exc}.", details={"url": url}) from exc
    if parts.scheme not in ("http", "https"):
        raise InvalidInput("The URL must start with http:// or https://.", details={"url": url})
    if not parts.hostname:
        raise InvalidInput("The URL has no host.", details={"url": url})
    if parts.username or parts.password:
        raise InvalidInput("Credentials in the URL are not allowed; use headers.", details={"url": url})
    if allow_private:
        return url.strip()
    timeout = settings.URL_DNS_TIMEOUT
    try:
        # Bounded: a request that saves a webhook must not wait on the receiver's DNS server.
        infos = resolve(parts.hostname, port or (443 if parts.scheme == "https" else 80), timeout=timeout)
    except (OSError, UnicodeError) as exc:
        raise InvalidInput(
            f"The host {parts.hostname!r} does not resolve (within {timeout:g} s: URL_DNS_TIMEOUT).",
            details={"url": url},
        ) from exc
    for info in infos:
        if not is_public_address(info[4][0]):
            raise InvalidInput(
                f"The host {parts.hostname!r} resolves to a private address ({info[4][0]}).",
                details={"url": url, "hint": "Set WEBHOOK_ALLOW_PRIVATE=true to allow it."},
            )
    return url.strip()


@extend_schema_field(URL_SCHEMA)
class UrlTextField(serializers.CharField):
    """Text that a service checks as a URL this server will call (validate_public_url); in the
    schema, such a URL."""


class PublicUrlField(UrlTextField):
    """A serializer field for a URL this server will call (webhooks): http(s), no credentials,
    and, unless the setting named by `allow_private_setting` is true, only public addresses."""

    def __init__(self, *, allow_private_setting: str = "WEBHOOK_ALLOW_PRIVATE", **kwargs):
        kwargs.setdefault("max_length", URL_MAX_LENGTH)
        super().__init__(**kwargs)
        self.allow_private_setting = allow_private_setting

    def to_internal_value(self, data):
        allow_private = bool(getattr(settings, self.allow_private_setting, False))
        try:
            return validate_public_url(super().to_internal_value(data), allow_private=allow_private)
        except InvalidInput as exc:
            raise serializers.ValidationError(exc.message) from exc
