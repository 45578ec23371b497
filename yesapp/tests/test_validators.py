import uuid

import pytest
from rest_framework import serializers

from yesapp.errors import InvalidInput
from yesapp.outbound_address import PublicUrlField
from yesapp.validators import (
    ChatIdField,
    PhoneNumberField,
    normalize_chat_id,
    normalize_phone,
    parse_session_id,
    phone_from_chat_id,
)


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("+33612345678", "+33612345678"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("33612345678", "+33612345678"),
        ("0033612345678", "+33612345678"),
        ("+1 (650) 253-0000", "+16502530000"),
        ("+44 20 7946 0958", "+442079460958"),
        (" +49.30.901820 ", "+4930901820"),
    ],
)
def test_phone_numbers_are_normalised_to_e164(raw, e164):
    assert normalize_phone(raw) == e164


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "hello",
        "+1 800 FLOWERS",
        "+123",
        "+33 6 12",
        "06 12 34 56 78",
        "+999 123456789",
        None,
        33612345678,
    ],
)
def test_anything_else_is_a_clear_400(raw):
    with pytest.raises(InvalidInput) as error:
        normalize_phone(raw)
    assert error.value.status_code == 400
    assert "phone" in error.value.message.lower() or "number" in error.value.message.lower()
    assert "phone" in error.value.details


@pytest.mark.parametrize(
    ("raw", "chat_id"),
    [
        ("+33612345678", "33612345678@c.us"),
        ("33612345678@c.us", "33612345678@c.us"),
        ("123456789012345@lid", "123456789012345@lid"),
        ("120363025246125888@g.us", "120363025246125888@g.us"),
        ("33612345678-1612345678@g.us", "33612345678-1612345678@g.us"),
    ],
)
def test_chat_ids_from_numbers_or_raw_ids(raw, chat_id):
    assert normalize_chat_id(raw) == chat_id


@pytest.mark.parametrize("raw", ["abc@c.us", "33612345678@s.whatsapp.net", "@c.us", "1@c.us", "+336 12@g.us"])
def test_malformed_chat_ids_are_refused(raw):
    with pytest.raises(InvalidInput):
        normalize_chat_id(raw)


def test_phone_from_chat_id():
    assert phone_from_chat_id("33612345678@c.us") == "+33612345678"
    assert phone_from_chat_id("120363025246125888@g.us") == ""


def test_session_ids_are_uuids():
    value = uuid.uuid4()
    assert parse_session_id(str(value)) == value
    assert parse_session_id(value) is value
    with pytest.raises(InvalidInput) as error:
        parse_session_id("42")
    assert error.value.status_code == 400 and "UUID" in error.value.message


class _Payload(serializers.Serializer):
    phone = PhoneNumberField(required=False)
    to = ChatIdField(required=False)
    url = PublicUrlField(required=False)


def test_serializer_fields_normalise_and_report_errors_per_field(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    good = _Payload(
        data={"phone": "+33 6 12 34 56 78", "to": "+33612345678", "url": "https://93.184.216.34/h"}
    )
    assert good.is_valid(), good.errors
    assert good.validated_data == {
        "phone": "+33612345678",
        "to": "33612345678@c.us",
        "url": "https://93.184.216.34/h",
    }
    bad = _Payload(data={"phone": "nope", "to": "x@c.us", "url": "http://localhost/h"})
    assert not bad.is_valid()
    assert set(bad.errors) == {"phone", "to", "url"}
    settings.WEBHOOK_ALLOW_PRIVATE = True
    assert _Payload(data={"url": "http://localhost/h"}).is_valid()
