"""The send examples in the docs are bodies the API takes: every curl example that posts to
`.../messages` in docs/MESSAGING.md, the request bodies listed under the send endpoint in
docs/API_REFERENCE.md, and the schema's request examples, through the real serializer."""

import json
import re

import pytest

from messaging.api.serializers import MessageSendInputSerializer
from messaging.models import SENDABLE_TYPES
from yesapp.tests.fixtures import ROOT

SEND = "### `POST /api/v1/sessions/{session_id}/messages`"


def _curl_bodies(text: str) -> list[dict]:
    """The JSON after `-d` of each curl example that posts to a session's messages (not to one
    message's actions, such as `.../messages/$MESSAGE/reaction`)."""
    bodies = []
    for example in re.findall(r"^curl -X POST .*?(?=^curl |^```)", text, flags=re.M | re.S):
        if re.search(r"/sessions/\$SESSION/messages\s", example) and (
            data := re.search(r"-d '(.*?)'", example)
        ):
            bodies.append(json.loads(data.group(1)))
    return bodies


def _reference_bodies() -> list[dict]:
    reference = (ROOT / "docs" / "API_REFERENCE.md").read_text()
    section = reference.split(SEND, 1)[1].split("\n### ", 1)[0]
    listed = re.findall(r"^- [^:`]+: `(\{.*\})`$", section, flags=re.M)
    return _curl_bodies(section) + [json.loads(body) for body in listed]


def _schema_bodies(schema: dict) -> list[dict]:
    operation = schema["paths"]["/api/v1/sessions/{session_id}/messages"]["post"]
    examples = operation["requestBody"]["content"]["application/json"]["examples"]
    return [example["value"] for example in examples.values()]


@pytest.mark.parametrize(
    "source", ["MESSAGING.md", "API_REFERENCE.md", "schema"], ids=["messaging", "reference", "schema"]
)
def test_every_documented_send_body_is_valid_and_every_type_has_one(source, openapi_schema):
    if source == "MESSAGING.md":
        bodies = _curl_bodies((ROOT / "docs" / "MESSAGING.md").read_text())
    else:
        bodies = _reference_bodies() if source == "API_REFERENCE.md" else _schema_bodies(openapi_schema)
    kinds = set()
    for body in bodies:
        serializer = MessageSendInputSerializer(data=body)
        assert serializer.is_valid(), (body, serializer.errors)
        kinds.add(serializer.validated_data["type"])
        kinds |= {"reply"} if "replyTo" in body else set()
    assert {"text", "voice", "location", "contact", "poll", "reply"} <= kinds, kinds
    assert kinds - {"reply"} <= set(SENDABLE_TYPES)
