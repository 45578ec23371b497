"""drf-spectacular pieces shared by every app: the X-API-Key security scheme (so Swagger UI's
"Authorize" works) and the documented error shape.

Views document their failures with `error_responses(400, 404, ...)`, e.g.
`@extend_schema(responses={200: OutputSerializer, **error_responses(400, 404)})`.
"""

import copy
import json
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponseRedirect
from django.shortcuts import resolve_url
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema_serializer
from drf_spectacular.views import SpectacularSwaggerView
from rest_framework import exceptions, serializers


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "yesapp.authentication.ApiKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "X-API-Key",
            "description": "The key printed once on first start (`API Key: ...`) or made with "
            "`python manage.py createapikey --name NAME`.",
        }


class ApiErrorBodySerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable machine-readable code, e.g. `validation_error`.")
    message = serializers.CharField(help_text="What went wrong, for a person.")
    details = serializers.DictField(help_text="Structured context: the fields at fault, limits, ids.")


class ApiErrorSerializer(serializers.Serializer):
    """The one error shape of the API."""

    error = ApiErrorBodySerializer()


# One example per status, in the words the API really uses.
_ERRORS: dict[int, tuple[str, str, str, dict]] = {
    400: (
        "Invalid input",
        "validation_error",
        "name: This field is required.",
        {"name": ["This field is required."]},
    ),
    401: ("No or wrong API key", "authentication_failed", "The API key is wrong or revoked.", {}),
    403: (
        "Key not allowed",
        "permission_denied",
        "This needs an admin API key; this key is limited to some sessions.",
        {},
    ),
    404: ("Not found", "not_found", "Not found.", {}),
    406: (
        "No acceptable answer type",
        "not_acceptable",
        "Could not satisfy the request Accept header.",
        {},
    ),
    409: ("Conflict with the current state", "conflict", "The request conflicts with the current state.", {}),
    413: ("Body too large", "payload_too_large", "The request body is too large.", {"limit": 22435157}),
    415: (
        "Unsupported body type",
        "unsupported_media_type",
        'Unsupported media type "text/plain" in request.',
        {},
    ),
    422: (
        "Refused: the recipient is not on WhatsApp",
        "not_on_whatsapp",
        "+33612340000 is not on WhatsApp (checked 2026-11-27 10:00 UTC); the message was not sent.",
        {"phone": "+33612340000", "checkedAt": "2026-11-27T10:00:00+00:00"},
    ),
    429: (
        "Too many requests (`rate_limited`: this key's API_RATE_LIMIT; `too_many_requests`: wrong keys)",
        "rate_limited",
        "This API key sent more than 20 requests a second (bursts of 40); retry in 1 s.",
        {"limit": 20.0, "burst": 40, "retry_after": 1},
    ),
    503: ("A dependency is down", "service_unavailable", "Redis does not answer.", {}),
    504: (
        "The page did not answer in time",
        "engine_timeout",
        "The page did not answer the diagnostics in time; the browser is restarted if it hangs.",
        {"status": "connected"},
    ),
    507: (
        "Storage quota full",
        "media_quota_exceeded",
        "The session's media quota is full; delete old messages or raise MEDIA_QUOTA_BYTES.",
        {"quotaBytes": 1073741824, "fileBytes": 52311},
    ),
}


def error_response(status: int, description: str | None = None) -> OpenApiResponse:
    title, code, message, details = _ERRORS.get(status, ("Error", "error", "The request failed.", {}))
    return OpenApiResponse(
        response=ApiErrorSerializer,
        description=description or title,
        examples=[
            OpenApiExample(
                title,
                value={"error": {"code": code, "message": message, "details": details}},
                status_codes=[str(status)],
                response_only=True,
            )
        ],
    )


def error_responses(*statuses: int) -> dict[int, OpenApiResponse]:
    """The documented error replies for `statuses`; 401 is added to every authenticated call."""
    return {status: error_response(status) for status in sorted({401, *statuses})}


# Failures any operation can meet whatever its view does, added to every operation by
# `document_universal_errors`: the failed-key limit (429) on keyed calls; a body that is
# malformed (400), too large (413, BodySizeLimitMiddleware) or of a type no parser reads (415);
# an Accept header no renderer satisfies (406).
_KEYED_ERRORS = (401, 429)
_BODY_ERRORS = (400, 413, 415)
_NEGOTIATION_ERRORS = (406,)


def document_universal_errors(result: dict, generator, request, public) -> dict:
    """drf-spectacular postprocessing hook (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]).
    `ApiError` is always a component: every keyed operation documents its 401 with it. Every 429
    carries `Retry-After`; request bodies are required (see `_body_required`)."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            # Only a view that serves whatever type (`*/*`, media downloads) skips negotiation.
            negotiates = not any(
                "*/*" in answer.get("content", {})
                for status, answer in responses.items()
                if status.startswith("2")
            )
            statuses = [
                *(_KEYED_ERRORS if operation.get("security") else ()),
                *(_BODY_ERRORS if "requestBody" in operation else ()),
                *(_NEGOTIATION_ERRORS if negotiates else ()),
            ]
            for status in statuses:
                responses.setdefault(
                    str(status),
                    {
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/ApiError"}}
                        },
                        "description": _ERRORS[status][0],
                    },
                )
            if "429" in responses:
                responses["429"].setdefault("headers", {})["Retry-After"] = _RETRY_AFTER
            body_optional = operation.pop(BODY_OPTIONAL, False)
            if "requestBody" in operation:
                operation["requestBody"]["required"] = not body_optional and _body_required(operation)
    return result


# `extend_schema(extensions={BODY_OPTIONAL: True})`: the operation reads a missing body as `{}`.
BODY_OPTIONAL = "x-yesapp-body-optional"


def _body_required(operation: dict) -> bool:
    """Every body the API reads must be sent (a missing one is a 400), and says so, with one
    exception for generated clients. openapi-python-client 0.29.1 types a body offered in two types
    (JSON or multipart) as `... | Unset` even when required, but imports `Unset` only for an
    optional body or parameter (upstream bug #1451): such a required body makes a client module
    that does not import. So it is required only where the operation has an optional parameter
    too (messages_send's Idempotency-Key); sandbox_inbound's stays optional until the fix."""
    if len(operation["requestBody"].get("content", {})) == 1:
        return True
    return any(not parameter.get("required") for parameter in operation.get("parameters", []))


_RETRY_AFTER = {
    "schema": {"type": "integer", "minimum": 1},
    "required": True,
    "description": "Seconds to wait before trying again.",
}


# A serializer's rule on the body as a whole, carried to its schema component by a vendor
# extension (the only free-form key drf-spectacular passes on) and made a JSON Schema keyword
# by `state_body_rules`.
_MIN_PROPERTIES = "x-yesapp-min-properties"


def at_least_one_field(serializer_class):
    """Class decorator for a body whose fields are each optional but one must be given (a
    PATCH): `minProperties: 1` in the schema, so a client or fuzzer knows `{}` is refused."""
    return extend_schema_serializer(extensions={_MIN_PROPERTIES: 1})(serializer_class)


def state_body_rules(result: dict, generator, request, public) -> dict:
    """drf-spectacular postprocessing hook: the rules `at_least_one_field` marked, as keywords."""
    for component in result.get("components", {}).get("schemas", {}).values():
        if (minimum := component.pop(_MIN_PROPERTIES, None)) is not None:
            component["minProperties"] = minimum
    return result


def keep_patch_body_names(result: dict, generator, request, public) -> dict:
    """drf-spectacular postprocessing hook: a PATCH body keeps the `Patched<Name>Request` name
    clients were generated with, though it is now the serializer the view validates with
    (COMPONENT_SPLIT_PATCH off, so its required fields stay required). A body PUT shares with
    PATCH (the sending policy) gets a copy under that name."""
    schemas = result.get("components", {}).get("schemas", {})
    renamed: set[str] = set()
    for item in result.get("paths", {}).values():
        for content in item.get("patch", {}).get("requestBody", {}).get("content", {}).values():
            name = content.get("schema", {}).get("$ref", "").rpartition("/")[2]
            if name in schemas and not name.startswith("Patched"):
                schemas.setdefault(f"Patched{name}", copy.deepcopy(schemas[name]))
                content["schema"]["$ref"] = f"#/components/schemas/Patched{name}"
                renamed.add(name)
    text = json.dumps(result, default=str)  # lazy translations are text too
    for name in renamed:
        if f'"#/components/schemas/{name}"' not in text:
            del schemas[name]
    return result


# The address the examples in views' descriptions are written with.
_EXAMPLE_BASE_URL = "http://localhost:3000"


def point_examples_at_this_server(result: dict, generator, request, public) -> dict:
    """drf-spectacular postprocessing hook: the server, the curl examples and a link back to the
    dashboard name the address the reader used (the request's), or PUBLIC_URL when the schema is
    made without a request, instead of the hard-coded default port."""
    base = request.build_absolute_uri("/").rstrip("/") if request is not None else settings.PUBLIC_URL
    result = _replace_in_strings(result, _EXAMPLE_BASE_URL, base)
    result["servers"] = [{"url": base, "description": "This YesApp server"}]
    info = result.setdefault("info", {})
    info["description"] = f"[← Back to the dashboard]({base}/)\n\n" + info.get("description", "")
    return result


def _replace_in_strings(value, old: str, new: str):
    if isinstance(value, str):
        return value.replace(old, new)
    if isinstance(value, dict):
        return {key: _replace_in_strings(item, old, new) for key, item in value.items()}
    if isinstance(value, list):
        return [_replace_in_strings(item, old, new) for item in value]
    return value


class SignedInSwaggerView(SpectacularSwaggerView):
    """Swagger UI; a browser that is not signed in goes to the sign-in page (LOGIN_URL, the
    dashboard's) first, and back here afterwards."""

    def handle_exception(self, exc):
        if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
            request = self.request._request
            query = f"?{urlencode({'next': request.get_full_path()})}" if request.method == "GET" else ""
            return HttpResponseRedirect(resolve_url(settings.LOGIN_URL) + query)
        return super().handle_exception(exc)
