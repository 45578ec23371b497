"""The media input rule shared by the send API and the sandbox: base64, sniffing, the limit."""

import base64

import pytest
from rest_framework import serializers

from yesapp.errors import InvalidInput
from yesapp.media_input import Base64Field, MediaTooLarge, check_data, decode_base64, sniff

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def test_base64_decodes_bare_data_urls_and_line_breaks():
    encoded = base64.b64encode(PNG).decode()
    assert decode_base64(encoded) == PNG
    assert decode_base64("data:image/png;base64," + encoded) == PNG
    assert decode_base64(encoded[:20] + "\n" + encoded[20:]) == PNG


@pytest.mark.parametrize(
    "data, message",
    [
        ("not base64!", "media.data is not valid base64"),
        ("data:text/plain,hello", "a data URL needs `;base64,`"),
        ("", "media.data is empty."),
    ],
)
def test_bad_base64_is_invalid_input_that_names_the_field(data, message):
    with pytest.raises(InvalidInput) as exc:
        decode_base64(data)
    assert message in exc.value.message


def test_base64_past_the_limit_is_refused_before_decoding(settings):
    settings.MEDIA_MAX_BYTES = 10
    with pytest.raises(MediaTooLarge) as exc:
        decode_base64(base64.b64encode(b"x" * 11).decode())
    assert exc.value.code == "payload_too_large" and exc.value.status_code == 413
    assert exc.value.details == {"size": 11, "limit": 10}
    assert decode_base64(base64.b64encode(b"x" * 10).decode()) == b"x" * 10


def test_empty_or_too_large_bytes_are_refused(settings):
    settings.MEDIA_MAX_BYTES = 3
    with pytest.raises(InvalidInput):
        check_data(b"")
    with pytest.raises(MediaTooLarge):
        check_data(b"four")
    assert check_data(b"abc") == b"abc"


def test_sniff_believes_bytes_and_a_claim_only_for_signatureless_formats():
    assert sniff(PNG, claimed_mimetype="image/jpeg") == ("image/png", "png")
    assert sniff(b"a,b\n1,2\n", claimed_mimetype="text/csv")[0] == "text/csv"
    assert sniff(b"\x00\x01", claimed_mimetype="image/png") == ("application/octet-stream", "bin")
    assert sniff(b"hello", filename="notes.txt")[0] == "text/plain"


def test_the_base64_field_takes_only_text_and_leaves_non_ascii_to_decode_base64():
    class Body(serializers.Serializer):
        data = Base64Field()

    assert not Body(data={"data": 12}).is_valid()
    assert not Body(data={"data": ""}).is_valid()
    body = Body(data={"data": "aGk=\n"})
    assert body.is_valid() and body.validated_data["data"] == "aGk=\n"
    # A lone surrogate passes the field (no per-character scan) and is refused as base64.
    surrogate = Body(data={"data": "aGk\ud800"})
    assert surrogate.is_valid()
    with pytest.raises(InvalidInput, match="not valid base64"):
        decode_base64(surrogate.validated_data["data"])
