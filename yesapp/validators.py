"""Input validation shared by every endpoint: phone numbers, chat ids, session ids, offsets.
URLs this server calls are checked in yesapp/outbound_address.py."""

import re
import uuid

import phonenumbers
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from yesapp.errors import InvalidInput

# wa-js chat ids: users `<digits>@c.us`, hidden ids `<digits>@lid`, groups `<digits>[-<digits>]@g.us`.
_CHAT_ID = re.compile(r"^(\d{5,20}@(c\.us|lid)|\d{5,20}(-\d{5,20})?@g\.us)$")
# What people type around a phone number; letters (vanity numbers, "ext.") are refused.
_PHONE_CHARS = re.compile(r"^\+?[\d\s().\-/]{5,40}$")

# What the API schema says of these fields. Whether a number exists is phonenumbers' metadata,
# which no pattern holds: the schema names it with a format (API clients and the fuzz test read
# it) and an example.
PHONE_SCHEMA = {"type": "string", "format": "phone", "example": "+33612345678"}
RECIPIENT_SCHEMA = {"type": "string", "format": "whatsapp-recipient", "example": "+33612345678"}
# A person: a number, `<digits>@c.us` or `<digits>@lid`, never a group.
PERSON_SCHEMA = {"type": "string", "format": "whatsapp-person", "example": "+33612345678"}


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


@extend_schema_field(PHONE_SCHEMA)
class PhoneTextField(serializers.CharField):
    """Text that a service reads as a phone number and refuses with its own message; in the
    schema, a phone number."""


@extend_schema_field(PHONE_SCHEMA)
class PhoneNumberField(serializers.CharField):
    """A serializer field that accepts a phone number and gives it back in E.164."""

    def to_internal_value(self, data):
        try:
            return normalize_phone(super().to_internal_value(data))
        except InvalidInput as exc:
            raise serializers.ValidationError(exc.message) from exc


@extend_schema_field(RECIPIENT_SCHEMA)
class ChatIdField(serializers.CharField):
    """A serializer field for a recipient: an E.164 number or a raw chat id."""

    def to_internal_value(self, data):
        try:
            return normalize_chat_id(super().to_internal_value(data))
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
