"""Rules of the API that OpenAPI 3.0 cannot state, taught to the schema fuzzer (test_fuzz).

A schema-valid body of these operations may still break a rule across its fields (jitter's min
above its max, two of add/remove/promote/demote, an event another webhook format names). For
positive_data_acceptance to judge them too, a `map_case` hook turns each positive case into one
that also keeps the rule, changing as little as it can: the rest of the case stays the
fuzzer's. Each fix keeps the case valid against the schema (schemathesis revalidates a changed
case, and one made invalid would be judged as negative instead). Negative cases are left alone.
"""

import copy
import re
import zoneinfo
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from webhooks.formats import DEFAULT_FORMAT, webhook_format
from yesapp.errors import InvalidInput
from yesapp.outbound_address import validate_public_url

# A number on the sandbox's WhatsApp (none ending in 0000 is missing from it).
PERSON = "+33612345678"
# The world's session (test_fuzz.world), which WAHA's paths name.
WORLD_SESSION = "fuzz"

FIXES: dict[str, Callable[[dict], dict]] = {}


def fixes(*labels: str) -> Callable:
    """Registers a body fix for the operations `labels` ("METHOD /path")."""

    def register(fix: Callable[[dict], dict]) -> Callable[[dict], dict]:
        FIXES.update(dict.fromkeys(labels, fix))
        return fix

    return register


def keep_cross_field_rules(context, case):
    """The `map_case` hook (registered on each fuzzed schema by test_fuzz)."""
    fix = FIXES.get(case.operation.label)
    positive = case.meta is not None and case.meta.generation.mode.is_positive
    if fix is not None and positive and isinstance(case.body, dict):
        case.body = fix(copy.deepcopy(case.body))
    return case


# --- sending policy ----------------------------------------------------------------------------

_ZONES = sorted(zoneinfo.available_timezones())


@fixes(
    "PUT /api/v1/sessions/{session_id}/sending-policy",
    "PATCH /api/v1/sessions/{session_id}/sending-policy",
)
def _sending_policy(body: dict) -> dict:
    """jitter is [min, max]; quiet hours start and end apart, in a time zone that exists."""
    if isinstance(body.get("jitter"), list):
        body["jitter"] = sorted(body["jitter"])
    hours = body.get("quietHours")
    if isinstance(hours, dict):
        if hours["start"] == hours["end"]:
            hour, minute = hours["end"].split(":")
            hours["end"] = f"{hour}:{(int(minute) + 1) % 60:02d}"
        if hours["timeZone"] not in _ZONES:
            hours["timeZone"] = _ZONES[len(hours["timeZone"]) % len(_ZONES)]
    return body


# --- groups ----------------------------------------------------------------------------------

_PARTICIPANT_ACTIONS = ("add", "remove", "promote", "demote")


@fixes("POST /api/v1/sessions/{session_id}/groups/{group_id}/participants")
def _one_participant_action(body: dict) -> dict:
    """Exactly one of add, remove, promote and demote: the first the fuzzer gave, else add."""
    given = [action for action in _PARTICIPANT_ACTIONS if action in body]
    for action in given[1:]:
        del body[action]
    if not given:
        body["add"] = [PERSON]
    return body


# --- webhooks --------------------------------------------------------------------------------

# RFC 9110 token characters (webhooks.services._HEADER_NAME); names YesApp sets are its own.
_NOT_TOKEN = re.compile(r"[^A-Za-z0-9!#$%&'*+.^_`|~-]")
_RESERVED_HEADERS = re.compile(
    r"^(host|content-type|content-length|transfer-encoding|connection|x-yesapp-.*)$", re.IGNORECASE
)


def _header_name(name: str) -> str:
    token = _NOT_TOKEN.sub("", name)[:90] or "X-Custom"
    return f"X-Custom-{token}" if _RESERVED_HEADERS.match(token) else token


def _webhook_fields(webhook: dict) -> dict:
    """Events and options of the webhook's own format (PATCH: the world's, `yesapp`); extra
    headers named as HTTP tokens and not as the ones YesApp sets."""
    fmt = webhook_format(webhook.get("format", DEFAULT_FORMAT))
    if isinstance(webhook.get("events"), list):
        events = [event for event in webhook["events"] if event in (*fmt.event_names, "*")]
        webhook["events"] = events or ["*"]
    if isinstance(webhook.get("options"), dict) and fmt.clean_options is None:
        webhook["options"] = {}
    if isinstance(webhook.get("options"), dict) and fmt.clean_options is not None:
        token = webhook["options"].get("verifyToken")  # the cloud format's only option
        valid = isinstance(token, str) and re.fullmatch(r"[\x21-\x7e]{1,200}", token)
        webhook["options"] = {"verifyToken": token} if valid else {}
    if isinstance(webhook.get("headers"), dict):
        headers = {_header_name(name): value for name, value in webhook["headers"].items()}
        webhook["headers"] = {
            name: re.sub(r"[\r\n\0]", "", value)[:1000] for name, value in list(headers.items())[:20]
        }
    return webhook


fixes(
    "PUT /api/v1/sessions/{session_id}/webhook",
    "PATCH /api/v1/sessions/{session_id}/webhook",
    "POST /api/v1/sessions/{session_id}/webhooks",
    "PATCH /api/v1/sessions/{session_id}/webhooks/{webhook_id}",
)(_webhook_fields)


@fixes("POST /api/v1/sessions")
def _session_webhook(body: dict) -> dict:
    if isinstance(body.get("webhook"), dict):
        body["webhook"] = _webhook_fields(body["webhook"])
    return body


# --- WAHA's sessions -------------------------------------------------------------------------

_WAHA_RESERVED = {"v1", "schema", "docs", "sessions", "contacts"}  # waha.services.RESERVED_NAMES
_URL = URLValidator(schemes=["http", "https"])


def _public_url(url: str) -> bool:
    """What the serializer's URLField and then the webhook's own check take."""
    try:
        _URL(url)
        validate_public_url(url, allow_private=False)
    except (ValidationError, InvalidInput):
        return False
    return True


def _waha_session_name(name: str) -> str:
    """Usable in a URL path (waha.services.NAME_PATTERN) and not one of /api/'s own words."""
    name = re.sub(r"[^A-Za-z0-9_.-]", "", name).lstrip("_.-")[:100] or "s"
    return f"{name[:90]}-fuzz" if name.lower() in _WAHA_RESERVED else name


def _waha_webhook(webhook: dict) -> dict:
    """A public http(s) URL, WAHA's own event names, an HMAC key as YesApp's secrets are and
    extra headers named as HTTP tokens (the `waha` format's webhook)."""
    if not _public_url(webhook["url"]):
        webhook["url"] = "https://hooks.example.com/waha"
    if isinstance(webhook.get("events"), list):
        names = webhook_format("waha").event_names
        webhook["events"] = [event for event in webhook["events"] if event in (*names, "*")]
    key = (webhook.get("hmac") or {}).get("key")
    if key and not re.fullmatch(r"[!-~]{16,200}", key):
        webhook["hmac"] = None
    if isinstance(webhook.get("customHeaders"), list):
        webhook["customHeaders"] = [
            {"name": _header_name(header["name"]), "value": re.sub(r"[\r\n\0]", "", header["value"])[:1000]}
            for header in webhook["customHeaders"][:20]
        ]
    return webhook


@fixes("POST /api/sessions", "PUT /api/sessions/{session}")
def _waha_session(body: dict) -> dict:
    if isinstance(body.get("name"), str):
        body["name"] = _waha_session_name(body["name"])
    webhooks = (body.get("config") or {}).get("webhooks")
    if isinstance(webhooks, list):
        # The world's session already has one webhook of its own; ten at most in all.
        body["config"]["webhooks"] = [_waha_webhook(webhook) for webhook in webhooks[:9]]
    return body
