"""Input validation shared by every endpoint: phone numbers, chat ids, webhook URLs."""

import ipaddress
import re
import socket
from urllib.parse import urlsplit

import phonenumbers
from rest_framework import serializers

from yesapp.errors import InvalidInput

# wa-js chat ids: users `<digits>@c.us`, hidden ids `<digits>@lid`, groups `<digits>[-<digits>]@g.us`.
_CHAT_ID = re.compile(r"^(\d{5,20}@(c\.us|lid)|\d{5,20}(-\d{5,20})?@g\.us)$")


def normalize_phone(value: str) -> str:
    """A phone number in E.164 (`+33612345678`); raises InvalidInput for anything else.

    Numbers must carry their country code (a leading `+`, or digits that start with it).
    """
    text = (value or "").strip()
    if not text:
        raise InvalidInput("A phone number is required.", details={"phone": value})
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


def is_public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return ip.is_global and not ip.is_multicast


def validate_public_url(url: str, *, allow_private: bool) -> str:
    """An http(s) URL without credentials whose host resolves only to public addresses.

    With `allow_private` the address check is skipped. Callers that fetch or post must call
    this again right before connecting: DNS can change between saving and sending.
    """
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https"):
        raise InvalidInput("The URL must start with http:// or https://.", details={"url": url})
    if not parts.hostname:
        raise InvalidInput("The URL has no host.", details={"url": url})
    if parts.username or parts.password:
        raise InvalidInput("Credentials in the URL are not allowed; use headers.", details={"url": url})
    if allow_private:
        return url
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
    except (socket.gaierror, UnicodeError) as exc:
        raise InvalidInput(f"The host {parts.hostname!r} does not resolve.", details={"url": url}) from exc
    for info in infos:
        if not is_public_address(info[4][0]):
            raise InvalidInput(
                f"The host {parts.hostname!r} resolves to a private address ({info[4][0]}).",
                details={"url": url, "hint": "Set WEBHOOK_ALLOW_PRIVATE=true to allow it."},
            )
    return url


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
