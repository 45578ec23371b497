"""Clients generated from /api/schema/ work unchanged, as an integrator who never reads the docs
would make them: openapi-python-client (PyPI, pinned in requirements-dev.in) makes a Python client
that runs the sandbox flow against a live server and a real engine worker; openapi-typescript
(npm, pinned in package.json) makes types that a small example type-checks against. Generated
code goes to the test's tmp dir, never into the repository."""

import importlib
import io
import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import requests

from messaging.models import Direction, Message
from sessions_app.tests.helpers import PHONE, wait_for, wait_status
from yesapp.tests.fixtures import ROOT

CONTACT = "+33698765432"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c63f8cf"
    "c0f01f0005000201ffa3d6a9c30000000049454e44ae426082"
)
PACKAGE = "yesapp_client"


def _generate_python_client(schema: dict, where: Path) -> None:
    (where / "schema.json").write_text(json.dumps(schema))
    # No post hooks: the client is imported as generated, not formatted first.
    (where / "config.yaml").write_text(f"post_hooks: []\npackage_name_override: {PACKAGE}\n")
    generator = Path(sys.executable).with_name("openapi-python-client")
    result = subprocess.run(
        [generator, "generate", "--path", where / "schema.json", "--output-path", where / PACKAGE]
        + ["--meta", "none", "--config", where / "config.yaml"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


@pytest.fixture
def python_client(tmp_path, live_server, raw_api_key):
    """The package openapi-python-client makes from the live server's schema, imported."""
    response = requests.get(
        f"{live_server.url}/api/schema/", params={"format": "json"}, headers={"X-API-Key": raw_api_key}
    )
    assert response.status_code == 200, response.text
    _generate_python_client(response.json(), tmp_path)
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(tmp_path))
        for name in [name for name in sys.modules if name.split(".")[0] == PACKAGE]:
            del sys.modules[name]


def _api(module: str):
    return importlib.import_module(f"{PACKAGE}.api.{module}")


def _models():
    return importlib.import_module(f"{PACKAGE}.models")


@pytest.mark.browser
@pytest.mark.slow
def test_a_generated_python_client_runs_the_sandbox_flow_unmodified(
    python_client, engine_worker, live_server, raw_api_key, settings
):
    settings.WEBHOOK_ALLOW_PRIVATE = True  # the webhook below points at this machine
    engine_worker("engine-a")
    models, types = _models(), importlib.import_module(f"{PACKAGE}.types")
    client = python_client.AuthenticatedClient(
        base_url=live_server.url,
        token=raw_api_key,
        prefix="",
        auth_header_name="X-API-Key",
        raise_on_unexpected_status=True,  # an answer the schema does not list fails the test
    )

    created = _api("sessions.sessions_create").sync(
        client=client, body=models.SessionCreateInputRequest(name="generated", sandbox=True)
    )
    assert isinstance(created, models.SessionCreated), created
    session_id = created.id
    wait_status(session_id, "qr")
    state = _api("sandbox.sandbox_link").sync(
        session_id=session_id, client=client, body=models.LinkInputRequest(phone=PHONE)
    )
    assert isinstance(state, models.SandboxStateOutput) and state.phone == PHONE
    wait_status(session_id, "connected")

    saved = _api("webhooks.session_webhook_set").sync(
        session_id=session_id,
        client=client,
        body=models.WebhookConfigInputRequest(url="http://127.0.0.1:9/hook"),
    )
    assert isinstance(saved, models.WebhookConfigSavedOutput) and len(saved.secret) >= 16

    send = _api("messages.messages_send")
    text = send.sync(
        session_id=session_id, client=client, body=models.MessageSendInputRequest(to=CONTACT, text="hi")
    )
    upload = models.MessageSendMultipartRequest(
        to=CONTACT, caption="a dot", file=types.File(payload=io.BytesIO(PNG), file_name="dot.png")
    )
    photo = send.sync(session_id=session_id, client=client, body=upload)
    assert isinstance(text, models.MessageOutput) and isinstance(photo, models.MessageOutput)
    assert (text.type_, photo.type_) == ("text", "image")

    inbound = _api("sandbox.sandbox_inbound").sync(
        session_id=session_id, client=client, body=models.InboundInputRequest(from_=CONTACT, text="thanks")
    )
    assert isinstance(inbound, models.InboundOutput)
    received = wait_for(
        lambda: Message.objects.filter(session_id=session_id, direction=Direction.INBOUND).first(),
        what="the inbound message",
    )

    def status_of(message_id):
        return _api("messages.messages_get").sync(session_id=session_id, message_id=message_id, client=client)

    wait_for(lambda: status_of(photo.message_id).status.value in ("sent", "delivered", "read"), what="sent")
    got = status_of(received.pk)
    assert isinstance(got, models.MessageOutput) and got.text == "thanks"
    listed = _api("messages.messages_list").sync(session_id=session_id, client=client)
    assert isinstance(listed, models.MessageList) and listed.total == 3
    assert {item.message_id for item in listed.items} == {text.message_id, photo.message_id, received.pk}

    # Errors parse as the one error shape, not as an unexpected answer.
    missing = _api("sessions.sessions_get").sync(session_id=uuid.uuid4(), client=client)
    assert isinstance(missing, models.ApiError) and missing.error.code == "not_found"


EXAMPLE_TS = """
import type { components, paths } from "./schema";

type Create = paths["/api/v1/sessions"]["post"];
type CreateBody = Create["requestBody"]["content"]["application/json"];
type Created = Create["responses"][201]["content"]["application/json"];
type Send = paths["/api/v1/sessions/{session_id}/messages"]["post"];
type ApiError = components["schemas"]["ApiError"];

const body: CreateBody = { name: "shop", sandbox: true };
type SendBody = NonNullable<Send["requestBody"]>["content"]["application/json"];
const text: SendBody = { to: "+33612345678", text: "hi" };
// @ts-expect-error a session needs a name
const nameless: CreateBody = { sandbox: true };

function describe(created: Created): string {
  return `${created.id} is ${created.status}`;
}
function reason(answer: Send["responses"][429]["content"]["application/json"]): string {
  const error: ApiError = answer;
  return `${error.error.code}: ${error.error.message}`;
}
export { body, text, nameless, describe, reason };
"""


@pytest.mark.slow
def test_generated_typescript_types_type_check_an_example(tmp_path, openapi_schema):
    bin_dir = ROOT / "node_modules" / ".bin"
    schema = openapi_schema
    (tmp_path / "schema.json").write_text(json.dumps(schema))
    # --default-non-nullable=false: a field with a default may be left out of a request body
    # (openapi-typescript would otherwise make `queue`, `sandbox`... required there).
    generate = subprocess.run(
        [bin_dir / "openapi-typescript", tmp_path / "schema.json", "--output", tmp_path / "schema.ts"]
        + ["--default-non-nullable=false"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert generate.returncode == 0, generate.stdout[-3000:] + generate.stderr[-3000:]
    (tmp_path / "example.ts").write_text(EXAMPLE_TS)
    check = subprocess.run(
        [bin_dir / "tsc", "--noEmit", "--strict", "--target", "es2020", "--module", "es2020"]
        + ["--moduleResolution", "bundler", tmp_path / "example.ts"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode == 0, check.stdout[-3000:] + check.stderr[-3000:]
