"""Every JSON example in the docs says what the API really sends.

- The response examples in the OpenAPI schema (Swagger UI) and in docs/API_REFERENCE.md are
  validated against the response schemas that drf-spectacular derives from the serializers,
  strictly: a field the serializer does not have, a missing one or a wrong type fails.
- The webhook bodies in docs/WEBHOOKS.md have exactly the fields, and the same values for `type`,
  `direction` and `status`, as bodies the code builds for the same events.
- The README's list of error codes names every code the API answers with.
"""

import copy
import json
import re
import shlex

import pytest
from openapi_schema_validator import OAS31Validator

from yesapp import errors
from yesapp.events import ALL_EVENTS
from yesapp.tests.fixtures import ROOT

REFERENCE = ROOT / "docs" / "API_REFERENCE.md"
WEBHOOKS = ROOT / "docs" / "WEBHOOKS.md"
README = ROOT / "README.md"


@pytest.fixture(scope="module")
def schema(openapi_schema) -> dict:
    return openapi_schema


@pytest.fixture(scope="module")
def components(schema) -> dict:
    """The schema's components, strict (`_strict`): made once, not once per example."""
    return _strict(schema["components"])


def _strict(node):
    """The schema with `additionalProperties: false` on every object that lists its properties,
    and OpenAPI 3.0's `nullable` spelled as JSON Schema's null type (drf-spectacular writes a
    nullable nested serializer as `allOf` + `nullable`, which 3.0 validators misread)."""
    if isinstance(node, dict):
        node = {key: _strict(value) for key, value in node.items()}
        if "properties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
        if node.pop("nullable", False):
            node = {"anyOf": [node, {"type": "null"}]}
        return node
    if isinstance(node, list):
        return [_strict(item) for item in node]
    return node


def _problems(components: dict, body_schema: dict, value) -> list[str]:
    root = {**_strict(copy.deepcopy(body_schema)), "components": components}
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in OAS31Validator(root).iter_errors(value)
    ]


def _json_response(operation: dict, status: str) -> dict | None:
    content = operation.get("responses", {}).get(status, {}).get("content", {})
    return content.get("application/json")


def test_every_response_example_in_the_schema_matches_its_serializer(schema, components):
    wrong = {}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for status in operation.get("responses", {}):
                answer = _json_response(operation, status)
                if not answer or "schema" not in answer:
                    continue
                for name, example in (answer.get("examples") or {}).items():
                    if problems := _problems(components, answer["schema"], example["value"]):
                        wrong[f"{method.upper()} {path} {status} {name!r}"] = problems
    assert not wrong, json.dumps(wrong, indent=1)


def _reference_examples() -> list[tuple[str, str, str]]:
    """(`METHOD /path`, status, JSON text) for each answer shown in the reference."""
    found, endpoint, status, block = [], None, None, None
    for line in REFERENCE.read_text().splitlines():
        if block is not None:
            if line == "```":
                found.append((endpoint, status, "\n".join(block)))
                block = None
            else:
                block.append(line)
        elif heading := re.match(r"### `([A-Z]+ /\S*)`", line):
            endpoint, status = heading.group(1), None
        elif code := re.match(r"\*\*(\d{3})\*\*", line):
            status = code.group(1)
        elif line == "```json" and endpoint and status:
            block = []
    return found


def test_every_answer_in_the_api_reference_matches_its_serializer(schema, components):
    examples = _reference_examples()
    assert len(examples) > 20  # the parser found them
    wrong = {}
    for endpoint, status, text in examples:
        method, path = endpoint.split(" ", 1)
        operation = schema["paths"].get(path, {}).get(method.lower())
        if operation is None:
            continue  # not a DRF view (e.g. /metrics); test_docs_reference names every endpoint
        answer = _json_response(operation, status)
        assert answer and "schema" in answer, f"{endpoint} documents a {status} JSON answer it does not send"
        if problems := _problems(components, answer["schema"], json.loads(text)):
            wrong[f"{endpoint} {status}"] = problems
    assert not wrong, json.dumps(wrong, indent=1)


# --- curl examples in the guides ------------------------------------------------------------

GUIDES = (ROOT / "docs" / "MESSAGING.md", WEBHOOKS, ROOT / "docs" / "GROUPS.md")


def _curl_calls(guide) -> list[tuple[str, str, object]]:
    """(METHOD, path, JSON body or None) of each `curl` command in a guide."""
    calls = []
    for line in guide.read_text().replace("\\\n", " ").splitlines():
        if not line.startswith("curl "):
            continue
        words = shlex.split(line)
        url = next(w for w in words if "/api/" in w)
        body = words[words.index("-d") + 1] if "-d" in words else None
        method = words[words.index("-X") + 1] if "-X" in words else ("POST" if body else "GET")
        path = "/api/" + url.split("/api/", 1)[1].split("?", 1)[0]
        calls.append((method, path, json.loads(body) if body else None))
    return calls


def _operation_for(schema: dict, method: str, path: str) -> dict | None:
    # Literal paths first: `/groups/join` is not `/groups/{group_id}`.
    for template, operations in sorted(schema["paths"].items(), key=lambda item: item[0].count("{")):
        if re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", template), path):
            return operations.get(method.lower())
    return None


@pytest.mark.parametrize("guide", GUIDES, ids=lambda guide: guide.name)
def test_curl_examples_in_the_guides_call_real_endpoints_with_valid_bodies(schema, components, guide):
    calls = _curl_calls(guide)
    assert calls  # the parser found them
    wrong = {}
    for method, path, body in calls:
        operation = _operation_for(schema, method, path)
        if operation is None:
            wrong[f"{method} {path}"] = ["no such endpoint"]
        elif body is not None:
            request = operation["requestBody"]["content"]["application/json"]["schema"]
            if problems := _problems(components, request, body):
                wrong[f"{method} {path}"] = problems
    assert not wrong, json.dumps(wrong, indent=1)


# --- Message types: the API's words, never wa-js's -------------------------------------------


def _api_message_types() -> set[str]:
    """The `type` values the API can answer: what the engine stores for each wa-js type
    (WAJS.md lists them), through the real mapping, and the actions queued through the API."""
    from messaging.inbound import _fields_from_event
    from messaging.models import MessageAction

    wajs = ("chat", "image", "video", "audio", "ptt", "document", "sticker", "location", "vcard")
    stored = {_fields_from_event({"type": t}, chat_id="1@c.us", from_me=False)["type"] for t in wajs}
    return stored | {action for action in MessageAction.values if action}  # an action's type is its name


def _message_like(value):
    """Every object in `value` that pictures a message (it has a `type` beside `text` or `chatId`)."""
    if isinstance(value, dict):
        if "type" in value and ({"text", "chatId"} & set(value)):
            yield value
        for item in value.values():
            yield from _message_like(item)
    elif isinstance(value, list):
        for item in value:
            yield from _message_like(item)


def test_message_types_in_every_example_are_the_apis(schema):
    allowed = _api_message_types()
    assert "text" in allowed and "chat" not in allowed
    examples = [json.loads(text) for _, _, text in _reference_examples()]
    for operations in schema["paths"].values():
        for operation in operations.values():
            for answer in (operation.get("responses") or {}).values():
                for content in (answer.get("content") or {}).values():
                    examples += [example["value"] for example in (content.get("examples") or {}).values()]
    wrong = [m for example in examples for m in _message_like(example) if m["type"] not in allowed]
    assert not wrong, wrong


# --- Webhook bodies ------------------------------------------------------------------------


@pytest.fixture
def real_bodies(db, settings) -> dict[str, dict]:
    """One body per event, as the code builds and stores them for a webhook."""
    from django.utils import timezone

    from messaging.changes import message_record_edit, message_record_reaction, message_record_revoke
    from messaging.inbound_media import message_emit_received
    from messaging.models import Direction, Message, MessageStatus
    from messaging.polls import poll_record_vote
    from messaging.presence import handle_presence_change
    from messaging.services import message_transition
    from sessions_app.models import Session
    from sessions_app.services import session_set_status
    from webhooks.models import WebhookDelivery
    from webhooks.services import webhook_configure

    settings.WEBHOOK_ALLOW_PRIVATE = True
    session = Session.objects.create(name="docs", status="qr", wid="33698765432@c.us")
    # Every event, `chat.presence` too (sent only to a webhook that names it).
    webhook_configure(session=session, url="http://127.0.0.1:9/hook", events=list(ALL_EVENTS))
    session_set_status(session_id=session.pk, status="connected", reason="")
    common = {"session": session, "chat_id": "33612345678@c.us", "phone": "+33612345678", "type": "text"}
    inbound = Message.objects.create(
        **common, direction=Direction.INBOUND, status=MessageStatus.RECEIVED, text="Hello!", wa_id="false_1"
    )
    message_emit_received(message=inbound)
    outbound = Message.objects.create(
        **common, direction=Direction.OUTBOUND, status=MessageStatus.SENT, text="Your order", wa_id="true_2"
    )
    message_transition(message=outbound, status=MessageStatus.DELIVERED)
    now = timezone.now()
    message_record_reaction(message=outbound, sender="33612345678@c.us", emoji="🎉", at=now)
    message_record_edit(message=inbound, text="Hello! Open on Sunday?", at=now, by_me=False)
    message_record_revoke(message=inbound, at=now, revoked_by="contact")
    _group_and_call_events(session)
    poll = Message.objects.create(
        **common | {"type": "poll"},
        direction=Direction.OUTBOUND,
        status=MessageStatus.SENT,
        wa_id="true_3",
        content={"poll": {"question": "Lunch?", "options": ["Pizza", "Sushi"], "multipleAnswers": True}},
    )
    poll_record_vote(message=poll, voter="33612345678@c.us", chosen=["Pizza"], at=now)
    presence = {"id": "33612345678@c.us", "isOnline": True, "isGroup": False, "state": "composing"}
    handle_presence_change(session_id=session.pk, data=presence)
    return {d.event: json.loads(d.body) for d in WebhookDelivery.objects.all()}


def _group_and_call_events(session) -> None:
    from calls.services import call_received
    from groups.inbound import handle_participant_changed
    from groups.services import group_emit_updated

    gid, me, lid = "120363041234567890@g.us", session.wid, "123456789012345@lid"
    for action in ("add", "remove"):
        handle_participant_changed(
            session_id=session.pk,
            data={"groupId": gid, "action": action, "operation": action, "participants": [me], "author": lid},
        )
    group_emit_updated(session=session, group_id=gid, changes={"subject": "Team"})
    call = {
        "id": "C0FFEE",
        "isGroup": False,
        "isVideo": True,
        "offerTime": 1790000000,
        "sender": "33612345678@c.us",
    }
    call_received(session_id=session.pk, data=call, engine=None)


def _webhook_doc_examples() -> list[dict]:
    blocks = re.findall(r"^```json\n(.*?)^```", WEBHOOKS.read_text(), flags=re.M | re.S)
    return [json.loads(block) for block in blocks]


def test_webhook_bodies_in_the_docs_are_the_ones_sent(real_bodies):
    examples = _webhook_doc_examples()
    assert {e["event"] for e in examples} == set(ALL_EVENTS)
    for example in examples:
        real = real_bodies[example["event"]]
        assert set(example) == set(real), (example["event"], set(example) ^ set(real))
        for field in ("type", "direction"):
            if field in real:
                assert example[field] == real[field], (example["event"], field)
    assert real_bodies["message.received"]["type"] == "text"
    # The raw HTTP request shown whole: its body names only real fields, with the API's words.
    http = re.search(r"^POST /whatsapp/hook HTTP/1.1$(.*?)^```", WEBHOOKS.read_text(), flags=re.M | re.S)
    body = http.group(1).split("\n\n", 1)[1]
    assert set(re.findall(r'"(\w+)":', body)) <= set(real_bodies["message.received"])
    assert '"type":"text"' in body


def _readme_error_codes() -> set[str]:
    text = README.read_text()
    listed = re.search(r"`code` is stable and meant for programs \((.*?)\);", text, re.S)
    assert listed, "the README's list of error codes moved"
    return set(re.findall(r"`([a-z_]+)`", listed.group(1)))


def test_the_readme_lists_every_error_code_the_api_answers_with():
    codes = {*errors._DRF_CODES.values(), *errors.STATUS_CODES.values(), "validation_error", "conflict"}
    codes |= {
        cls.code
        for cls in vars(errors).values()
        if isinstance(cls, type) and issubclass(cls, errors.ServiceError)
    }
    missing = sorted(codes - _readme_error_codes())
    assert not missing, f"add these to the README's list of error codes: {missing}"
