"""A session's webhooks, several per session (`/sessions/{id}/webhooks`), each with its own
receiver, events, secret and format. The single `/sessions/{id}/webhook` (views.py) manages
the first of them, as it always did."""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from sessions_app.selectors import session_get_for_key
from webhooks.api.serializers import (
    WebhookConfigDetailOutputSerializer,
    WebhookConfigInputSerializer,
    WebhookConfigOutputSerializer,
    WebhookConfigPatchInputSerializer,
    WebhookConfigSavedOutputSerializer,
)
from webhooks.selectors import webhook_of_session, webhooks_of_session
from webhooks.services import MAX_WEBHOOKS_PER_SESSION, webhook_change, webhook_create, webhook_remove
from yesapp.api.envelope import list_envelope, list_envelope_serializer
from yesapp.schema import error_responses

_SESSION_ID = "3f1c2b9e-8d7a-4e62-9f0a-1b2c3d4e5f60"
_SECRET_EXAMPLE = "whsec_Zt3q8v6yq0d1mS4c0pX8mF0b2R5nK7wQe9uJ1aL3hY"
_WEBHOOK_EXAMPLE = {
    "id": "0b6f3c1e-2d4a-4c5b-8e7f-9a1b2c3d4e5f",
    "sessionId": _SESSION_ID,
    "url": "https://example.com/whatsapp/hook",
    "events": ["message.received", "message.status"],
    "headers": {},
    "ordered": True,
    "format": "yesapp",
    "options": {},
    "createdAt": "2026-01-05T09:30:00Z",
    "updatedAt": "2026-01-05T09:30:00Z",
}

_EVENTS_ONLY = {"events": ["message.received"]}

WebhookListOutputSerializer = list_envelope_serializer(
    WebhookConfigOutputSerializer(many=True), name="WebhookList", total_help="The session's webhooks."
)


class SessionWebhooksApi(APIView):
    @extend_schema(
        tags=["webhooks"],
        operation_id="session_webhooks_list",
        summary="List a session's webhooks",
        description=f"Every webhook of the session, oldest first (at most {MAX_WEBHOOKS_PER_SESSION}). "
        "Secrets are never shown; header and option values are hidden.",
        responses={
            200: OpenApiResponse(
                WebhookListOutputSerializer,
                examples=[
                    OpenApiExample(
                        "One webhook",
                        value={"items": [_WEBHOOK_EXAMPLE], "total": 1, "limit": 10, "offset": 0},
                    )
                ],
            ),
            **error_responses(404),
        },
    )
    def get(self, request: Request, session_id) -> Response:
        session = session_get_for_key(key=request.auth, session_id=session_id)
        configs = list(webhooks_of_session(session=session))
        items = WebhookConfigOutputSerializer(configs, many=True).data
        return Response(
            list_envelope(items=items, total=len(configs), limit=MAX_WEBHOOKS_PER_SESSION, offset=0)
        )

    @extend_schema(
        tags=["webhooks"],
        operation_id="session_webhooks_add",
        summary="Add a webhook to a session",
        description=(
            "Adds one more receiver of this session's events: each webhook has its own URL, events, "
            "secret, headers, ordering and `format`. Fields left out take their defaults: all events, "
            "no extra headers, `ordered` true, the `yesapp` format and a newly generated secret, "
            f"returned **once** in this answer. At most {MAX_WEBHOOKS_PER_SESSION} per session."
        ),
        request=WebhookConfigInputSerializer,
        examples=[
            OpenApiExample(
                "A second receiver for status changes only",
                value={"url": "https://example.com/whatsapp/status", "events": ["session.status"]},
                request_only=True,
            ),
        ],
        responses={
            201: OpenApiResponse(
                WebhookConfigSavedOutputSerializer,
                examples=[
                    OpenApiExample(
                        "Added, with generated secret",
                        value={**_WEBHOOK_EXAMPLE, "secret": _SECRET_EXAMPLE},
                        response_only=True,
                    )
                ],
            ),
            **error_responses(400, 404),
        },
    )
    def post(self, request: Request, session_id) -> Response:
        session = session_get_for_key(key=request.auth, session_id=session_id)
        data = WebhookConfigInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        config, secret = webhook_create(session=session, **data.validated_data)
        answer = WebhookConfigSavedOutputSerializer(config, context={"generated_secret": secret}).data
        return Response(answer, status=status.HTTP_201_CREATED)


class SessionWebhookItemApi(APIView):
    @extend_schema(
        tags=["webhooks"],
        operation_id="session_webhooks_get",
        summary="Get one of a session's webhooks",
        description="The webhook (never its secret) and its newest deliveries.",
        responses={
            200: OpenApiResponse(
                WebhookConfigDetailOutputSerializer,
                examples=[OpenApiExample("A webhook", value={**_WEBHOOK_EXAMPLE, "lastDeliveries": []})],
            ),
            **error_responses(404),
        },
    )
    def get(self, request: Request, session_id, webhook_id) -> Response:
        config = _webhook(request, session_id, webhook_id)
        return Response(WebhookConfigDetailOutputSerializer(config, context={"key": request.auth}).data)

    @extend_schema(
        tags=["webhooks"],
        operation_id="session_webhooks_update",
        summary="Change some fields of one of a session's webhooks",
        description="Changes only the fields given; the others, the secret included, stay as they are. "
        "Changing the `format` without `events` subscribes the webhook to all of the new format's events.",
        request=WebhookConfigPatchInputSerializer,
        examples=[OpenApiExample("Only the events", value=_EVENTS_ONLY, request_only=True)],
        responses={
            200: OpenApiResponse(
                WebhookConfigOutputSerializer,
                examples=[
                    OpenApiExample("Changed", value={**_WEBHOOK_EXAMPLE, **_EVENTS_ONLY}, response_only=True)
                ],
            ),
            **error_responses(400, 404),
        },
    )
    def patch(self, request: Request, session_id, webhook_id) -> Response:
        config = _webhook(request, session_id, webhook_id)
        data = WebhookConfigPatchInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        config = webhook_change(config=config, **data.validated_data)
        return Response(WebhookConfigOutputSerializer(config).data)

    @extend_schema(
        tags=["webhooks"],
        operation_id="session_webhooks_delete",
        summary="Remove one of a session's webhooks",
        description="Stops sending to it and deletes its delivery log. When the session has no webhook "
        "left, the default one (WEBHOOK_URL) applies, if set.",
        responses={204: None, **error_responses(404)},
    )
    def delete(self, request: Request, session_id, webhook_id) -> Response:
        webhook_remove(config=_webhook(request, session_id, webhook_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


def _webhook(request: Request, session_id, webhook_id):
    session = session_get_for_key(key=request.auth, session_id=session_id)
    return webhook_of_session(session=session, webhook_id=webhook_id)
