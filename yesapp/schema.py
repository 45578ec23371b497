"""drf-spectacular pieces shared by every app: the X-API-Key security scheme (so Swagger UI's
"Authorize" works) and the documented error shape.

Views document their failures with `error_responses(400, 404, ...)`, e.g.
`@extend_schema(responses={200: OutputSerializer, **error_responses(400, 404)})`.
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiExample, OpenApiResponse
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
    429: (
        "Too many requests",
        "too_many_requests",
        "Too many requests; wait and retry.",
        {"retry_after": 30},
    ),
    503: ("A dependency is down", "service_unavailable", "Redis does not answer.", {}),
    504: (
        "The page did not answer in time",
        "engine_timeout",
        "The page did not answer the diagnostics in time; the browser is restarted if it hangs.",
        {"status": "connected"},
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
    `ApiError` is always a component: every keyed operation documents its 401 with it."""
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
    return result


class SignedInSwaggerView(SpectacularSwaggerView):
    """Swagger UI; a browser that is not signed in goes to the dashboard's sign-in first."""

    def handle_exception(self, exc):
        if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
            from dashboard.auth import sign_in_redirect  # the dashboard owns signing in

            return sign_in_redirect(self.request._request)
        return super().handle_exception(exc)
