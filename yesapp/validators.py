"""Input validation shared by every endpoint: phone numbers, chat ids, webhook URLs."""

import ipaddress
import re
import uuid
from urllib.parse import urlsplit

import phonenumbers
from django.conf import settings
from rest_framework import serializers

from yesapp.errors import InvalidInput
from yesapp.outbound_http import resolve

# wa-js chat ids: users `<digits>@c.us`, hidden ids `<digits>@lid`, groups `<digits>[-<digits>]@g.us`.
_CHAT_ID = re.compile(r"^(\d{5,20}@(c\.us|lid)|\d{5,20}(-\d{5,20})?@g\.us)$")
# What people type around a phone number; letters (vanity numbers, "ext.") are refused.
_PHONE_CHARS = re.compile(r"^\+?[\d\s().\-/]{5,40}$")
URL_MAX_LENGTH = 2048


def normalize_phone(value: str) -> str:
    """A phone number in E.164 (`+33612345678`); raises InvalidInput for anything else.

    Numbers must carry their country code (a leading `+`, or digits that start with it).
    """
    text = (value or "").strip() if isinstance(value, str) else ""
    if not text:
        raise InvalidInput("A phone number is required.", details={"phone": value})
    if not _PHONE_CHARS.match(text):
        raise InvalidInput(
            f"{value!r} is not a phone number; use international format like +33612345678.",
            details={"phone": value},
        )
    if text.startswith("00"):  # the international dialling prefix used in most countries
        text = "+" + text[2:]
    if not text.startswith("+"):
        text = "+" + text
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException as exc:
        raise InvalidInput(f"{value!r} is not a phone number: {exc}.", details={"phone": value}) from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidInput(
            f"{value!r} is not a valid phone number; use international format like +33612345678.",
            details={"phone": value},
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def parse_session_id(value) -> uuid.UUID:
    """A session id from a request body or query string; InvalidInput (400) unless a UUID.

    Ids in URL paths use Django's `<uuid:session_id>` converter instead, so a malformed id
    there is simply a 404 like any unknown path.
    """
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value).strip())
    except (ValueError, AttributeError, TypeError) as exc:
        raise InvalidInput(
            f"{value!r} is not a session id; session ids are UUIDs "
            "like 3f1c2b9e-8d7a-4e62-9f0a-1b2c3d4e5f60.",
            details={"session_id": str(value)},
        ) from exc


def phone_to_chat_id(e164: str) -> str:
    return f"{e164.lstrip('+')}@c.us"


def normalize_chat_id(value: str) -> str:
    """A wa-js chat id from an E.164 number or a raw chat id (`...@c.us`, `...@g.us`, `...@lid`)."""
    text = (value or "").strip()
    if "@" in text:
        if not _CHAT_ID.match(text):
            raise InvalidInput(f"{value!r} is not a WhatsApp chat id.", details={"to": value})
        return text
    return phone_to_chat_id(normalize_phone(text))


def phone_from_chat_id(chat_id: str) -> str:
    """The E.164 number behind a `@c.us` chat id, or "" (groups and `@lid` ids hide it)."""
    if chat_id.endswith("@c.us"):
        return "+" + chat_id.split("@", 1)[0]
    return ""


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


class PhoneNumberField(serializers.CharField):
    """A serializer field that accepts a phone number and gives it back in E.164."""

    def to_internal_value(self, data):
        try:
            return normalize_phone(super().to_internal_value(data))
        except InvalidInput as exc:
            raise serializers.ValidationError(exc.message) from exc


class ChatIdField(serializers.CharField):
    """A serializer field for a recipient: an E.164 number or a raw chat id."""

    def to_internal_value(self, data):
        try:
            return normalize_chat_id(super().to_internal_value(data))
        except InvalidInput as exc:
            raise serializers.ValidationError(exc.message) from exc


class PublicUrlField(serializers.CharField):
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


class OffsetField(serializers.IntegerField):
    """A list's `offset` query parameter. Bounded: past the database's 64-bit integers an
    unbounded one would fail in the query instead of being refused as input."""

    MAX_OFFSET = 10_000_000

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("default", 0)
        super().__init__(min_value=0, max_value=self.MAX_OFFSET, **kwargs)
