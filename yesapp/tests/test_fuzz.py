"""Property-based fuzzing of the whole API from its own OpenAPI schema (schemathesis).

Every operation in `/api/schema/` gets generated requests, valid and invalid, through the
real WSGI stack: no answer may be a 5xx, and every answer must be documented (status code,
content type, body shape, headers). One pass without a key, one with an admin key. In the
keyed pass, path ids are often swapped for ids that exist (a sandbox session with a message,
media and a webhook delivery; WAHA's `{session}` gets its name), so the fuzzer reaches past
the 404s.

Budget: FUZZ_EXAMPLES examples per operation (small by default, for `make test`);
`make fuzz` raises it for a long run. FUZZ_ONLY (a regex on "METHOD /path") fuzzes only the
operations it matches; FUZZ_NO_SKIP=1 runs positive_data_acceptance on CROSS_FIELD_RULES too (to
see whether one can leave the list).
"""

import base64
import copy
import hashlib
import os
import re
import socket
from contextlib import contextmanager

import hypothesis
import phonenumbers
import pytest
import schemathesis
from _pytest.nodeid import coerce_node_id
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import strategies as st
from schemathesis.core.mutations import OperatorKind
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation.meta import CoverageScenario
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from messaging.models import Direction, MediaStatus, Message, MessageStatus
from sessions_app.models import Session, SessionStatus
from yesapp.apikeys import apikey_create
from yesapp.tests.fuzz_rules import WORLD_SESSION, keep_cross_field_rules
from yesapp.wsgi import application

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
FUZZ_ONLY = os.environ.get("FUZZ_ONLY", "")
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
FUZZ_SETTINGS = hypothesis.settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=os.environ.get("FUZZ_RANDOM") != "1",
    database=None,
    suppress_health_check=list(hypothesis.HealthCheck),
    phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate, hypothesis.Phase.shrink],
)


# Every check runs, positive_data_acceptance included: what the schema calls valid must not be
# refused with a 400. What no pattern can hold is given to the fuzzer as formats: a phone number
# that exists (phonenumbers' own example numbers, in the forms people write them), a person
# (such a number, a c.us or lid id) and a recipient (a person or a group).
EXCLUDED_CHECKS: list = []
# Operations whose schema-valid data may still get a 400 or 422, each for a rule OpenAPI 3.0
# cannot state (or not without a schema no generated client reads well); positive_data_acceptance
# skips them, every other check runs. Rules it can state are in the schema: lengths, enums,
# patterns, minItems, formats (phone, whatsapp-person, whatsapp-participant, whatsapp-recipient)
# and `minProperties` for "at least one field" (yesapp.schema.at_least_one_field). Rules across
# fields are taught to the fuzzer (yesapp.tests.fuzz_rules: jitter, quiet hours, one participants
# action, a webhook's events, options and header names, WAHA's session names). What depends on
# state answers 404 or 409 (WAHA: 422), which the check accepts.
CROSS_FIELD_RULES = {
    # Text or a file, by type (an anyOf of required sets would turn the models of generated
    # clients into unions); not taught to the fuzzer yet: one body field per type, media whose
    # base64 bytes are of its type, mentions and linkPreview by type, a vCard with FN and TEL.
    "POST /api/v1/sessions/{session_id}/messages",
    "POST /api/v1/sandbox/sessions/{session_id}/inbound",
    # The Cloud API facade: `to` must be a number that exists, a wamid one of this session's;
    # answered 400 as Meta's API answers them (its clients expect that), not 404.
    "POST /v{version}/{phone_number_id}/messages",
}
# The WAHA-compatible sends (waha app): a file by url or data (not both) whose bytes are of the
# send's kind, a vCard or a named number, a poll's options unique once trimmed. Not taught yet:
# a send gets past a 404 only through the world's session (`session: fuzz` in the body), where
# an accepted send waits WAHA_SEND_WAIT for an engine this test has not, then answers 504.
_WAHA_SENDS = ("Image", "File", "Voice", "Video", "ContactVcard", "Poll")
CROSS_FIELD_RULES |= {f"POST /api/send{kind}" for kind in _WAHA_SENDS}
_REGIONS = sorted(phonenumbers.SUPPORTED_REGIONS)
# Numbers that are on WhatsApp: the sandbox's WhatsApp has no number ending in 0000 (a state of
# its world, as a number nobody registered is, not a rule of the schema).
_EXAMPLE_NUMBERS = [
    number
    for region in _REGIONS
    if (number := phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE))
    and not str(number.national_number).endswith("0000")
]
PHONES = st.sampled_from(_EXAMPLE_NUMBERS).flatmap(
    lambda number: st.sampled_from(
        [
            phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
            phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL),
        ]
    )
)
PERSON_IDS = st.from_regex(r"\A\d{5,20}@(c\.us|lid)\Z")
CHAT_IDS = st.one_of(PERSON_IDS, st.from_regex(r"\A\d{5,20}(-\d{5,20})?@g\.us\Z"))
schemathesis.openapi.format("phone", PHONES)
schemathesis.openapi.format("whatsapp-recipient", st.one_of(PHONES, CHAT_IDS))
schemathesis.openapi.format("whatsapp-person", st.one_of(PHONES, PERSON_IDS))
# A group's participant (groups.api.serializers): a number or a lid.
schemathesis.openapi.format("whatsapp-participant", st.one_of(PHONES, st.from_regex(r"\A[0-9]{5,20}@lid\Z")))
# Public hosts, as the DNS would answer for a name that is one (the test has no DNS to ask).
_HOST_NAME = re.compile(r"[^\s/?#@:\[\]]+")


@pytest.fixture(autouse=True)
def no_engine_needed(settings):
    settings.READY_REQUIRES_ENGINE = False  # no engine worker runs here; /ready is otherwise 503


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    """As Django's test client does: a request must not close the test's database connection
    (the requests run in this thread, inside the test's transaction)."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture(autouse=True)
def public_dns(monkeypatch, settings):
    """Every well-formed host name resolves to a public address; media URLs are not fetched
    here, so any address may be saved."""

    def resolve(host, port, *, timeout):
        if not _HOST_NAME.fullmatch(host):
            raise socket.gaierror(f"{host!r} is not a host name")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port))]

    monkeypatch.setattr("yesapp.outbound_address.resolve", resolve)
    settings.MEDIA_URL_ALLOW_PRIVATE = True


@pytest.fixture(autouse=True)
def receivers_pass_handshakes(monkeypatch):
    """Every receiver answers the Cloud API's verification handshake (cloud_api.receiver), as
    every host name is public: a webhook of the `cloud` format is refused only for its fields."""
    monkeypatch.setattr("cloud_api.webhook_format.verify_receiver", lambda **kwargs: None)


@pytest.fixture
def world(db, settings, tmp_path):
    """Real rows for the fuzzer to hit: a connected sandbox session, a stored inbound photo,
    a webhook with one failed delivery."""
    from webhooks.models import DeliveryStatus, WebhookConfig, WebhookDelivery

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_ROOT.mkdir()
    session = Session.objects.create(
        name=WORLD_SESSION,
        sandbox=True,
        status=SessionStatus.CONNECTED,
        wid="33611111111@c.us",
        phone="+33611111111",
    )
    message = Message.objects.create(
        session=session,
        direction=Direction.INBOUND,
        chat_id="33622222222@c.us",
        phone="+33622222222",
        type="image",
        status=MessageStatus.RECEIVED,
        wa_id="false_33622222222@c.us_3A00",
        media_status=MediaStatus.STORED,
        media_mimetype="image/png",
        media_size=len(PNG),
    )
    message.media_name = f"{message.pk}.png"
    message.save()
    (settings.MEDIA_ROOT / message.media_name).write_bytes(PNG)
    config = WebhookConfig.objects.create(
        session=session, url="https://hooks.example.com/in", secret="s" * 32
    )
    delivery = WebhookDelivery.objects.create(
        config=config,
        session=session,
        event="message.received",
        body="{}",
        status=DeliveryStatus.FAILED,
        next_attempt_at=message.created_at,
    )
    return {
        "api_key": apikey_create(name="fuzz")[1],
        "session_id": str(session.pk),
        "message_id": str(message.pk),
        "delivery_id": str(delivery.uuid),
        "webhook_id": str(config.uuid),
        "session": session.name,  # WAHA's paths name the session
    }


# The API in four parts, one test item each per pass, so xdist can share them out. Each part is
# one item whose operations run as subtests: building Hypothesis tests for ~140 operations at
# collection took ~30 s, so the schema is loaded from a fixture, when the item runs.
PARTS = {
    "sessions": lambda path: path.startswith("/api/v1/sessions"),
    "sandbox-and-v1": lambda path: path.startswith("/api/v1/") and not path.startswith("/api/v1/sessions"),
    "waha": lambda path: path.startswith("/api/") and not path.startswith("/api/v1/"),
    "cloud-api-and-probes": lambda path: not path.startswith("/api/"),
}


@pytest.fixture(scope="session")
def openapi_document(openapi_schema) -> dict:
    """The schema /api/schema/ serves (made by the same generator, without a request: no key
    is needed to read it this way); a copy, for the fuzzer to read as it likes."""
    return copy.deepcopy(openapi_schema)


@pytest.fixture(params=list(PARTS))
def api_part(request, openapi_document):
    """One part of the API as a schemathesis schema whose calls go to the WSGI app itself."""
    keep, only = PARTS[request.param], re.compile(FUZZ_ONLY)
    paths = {path: item for path, item in openapi_document["paths"].items() if keep(path)}
    if not any(only.search(f"{method.upper()} {path}") for path, item in paths.items() for method in item):
        pytest.skip(f"FUZZ_ONLY matches no operation in {request.param}")
    schema = schemathesis.openapi.from_dict({**openapi_document, "paths": paths})
    # Every text field refuses NUL characters (DRF's ProhibitNullCharactersValidator), a rule of
    # the whole API that the schema does not repeat on each string: valid data has none.
    schema.config.generation.update(allow_x00=False)
    schema.app = application
    if request.param == "waha":
        # WAHA answers a session that is not WORKING (YesApp's 409 session_not_connected) with
        # 422, and its validation errors with 400: there, 422 is a state, as 409 is elsewhere.
        check = schema.config.checks.positive_data_acceptance
        check.expected_statuses = [*check.expected_statuses, "422"]
    schema.hook("map_case")(keep_cross_field_rules)
    return schema


# schemathesis 4.32 names each operation's subtest by rewriting the item's `_nodeid`, which
# pytest 9.2 replaced with a structured `_id`: give it the old attribute back.
if not hasattr(pytest.Function, "_nodeid"):
    pytest.Function._nodeid = property(
        lambda item: str(item._id), lambda item, value: setattr(item, "_id", coerce_node_id(value))
    )

# The event stream never ends, and needs an ASGI server: events/tests/test_stream.py covers it.
schema = schemathesis.pytest.from_fixture("api_part").exclude(operation_id="events_stream")
if FUZZ_ONLY:
    schema = schema.include(name_regex=FUZZ_ONLY)


@schema.parametrize()
@FUZZ_SETTINGS
def test_every_operation_without_a_key_answers_documented_4xx_never_5xx(case, world):
    with fresh_world():
        _use_known_ids(case, world)
        # No key in either place a key can go (the Cloud API facade reads a Bearer token).
        case.headers = {
            k: v for k, v in (case.headers or {}).items() if k.lower() not in ("x-api-key", "authorization")
        }
        response = case.call_and_validate(excluded_checks=_excluded_checks(case))
        if case.path not in ("/health", "/ready"):
            assert response.status_code in (401, 404, 405, 406, 413, 415), response.status_code


@schema.parametrize()
@FUZZ_SETTINGS
def test_every_operation_with_an_admin_key_answers_as_documented_never_5xx(
    case, world, no_auth_failure_limit
):
    with fresh_world():
        _use_known_ids(case, world)
        headers = {}
        if not _negative_at(case, ParameterLocation.HEADER):  # else the fuzzer's own (bad) key stays
            headers["X-API-Key"] = world["api_key"]
        response = case.call_and_validate(headers=headers, excluded_checks=_excluded_checks(case))
        assert response.status_code < 500


@pytest.fixture
def no_auth_failure_limit(settings):
    """The fuzzer must not trip the brute-force limit with the keys it makes up. Set once per
    item, not per case: each assignment to `settings` stacks one more override layer, and an
    item runs thousands of cases (RecursionError in settings lookups after ~2,000)."""
    settings.AUTH_FAILURE_LIMIT = 10**6


@contextmanager
def fresh_world():
    """Every case starts from the same rows: what it writes (a deleted session, a revoked key) is
    rolled back to a savepoint, so no operation fuzzed earlier in the item leaves its mark on
    the next one."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def _excluded_checks(case) -> list:
    """Checks that cannot judge this case. Invalid data must be refused, except where the wire
    format cannot carry the invalidity or DRF is lenient by design: a form or multipart body
    flattens lists, nulls and objects into strings; DRF reads an empty optional query value
    (`?limit=`) as absent (the HTML-form convention) and a number given for a text field as
    its text (`{"name": 0}` is the name "0"). Wrong types DRF does refuse still get 400."""
    checks = list(EXCLUDED_CHECKS)
    if case.operation.label in CROSS_FIELD_RULES and not os.environ.get("FUZZ_NO_SKIP"):
        checks.append(positive_data_acceptance)
    form_body = case.media_type is not None and "json" not in case.media_type
    empty_query = _negative_at(case, ParameterLocation.QUERY) and "" in (case.query or {}).values()
    phase = case.meta.phase.data if case.meta else None
    mutations = getattr(phase, "mutations", None)
    type_only = getattr(phase, "scenario", None) == CoverageScenario.INCORRECT_TYPE or (
        bool(mutations) and all(m.operator == OperatorKind.CHANGE_TYPE for m in mutations)
    )
    if (form_body and _negative_at(case, ParameterLocation.BODY)) or empty_query or type_only:
        checks.append(negative_data_rejection)
    return checks


def _negative_at(case, location) -> bool:
    return case.meta is not None and case.meta.is_negative_at(location)


def _use_known_ids(case, world) -> None:
    """Two valid cases in three get ids that exist, so the operation's real work is fuzzed too.
    The choice is a function of the generated case, so Hypothesis can still shrink failures."""
    params = case.path_parameters or {}
    if _negative_at(case, ParameterLocation.PATH):
        return
    if int(hashlib.sha256(repr(sorted(params.items())).encode()).hexdigest(), 16) % 3:
        case.path_parameters = {**params, **{name: world[name] for name in params if name in world}}
    # Sessions named in a body (a key limited to them) must exist, or the body is refused.
    body = case.body
    names_sessions = isinstance(body, dict) and isinstance(body.get("sessions"), list) and body["sessions"]
    if names_sessions and not _negative_at(case, ParameterLocation.BODY):
        case.body = {**body, "sessions": [world["session_id"]]}
