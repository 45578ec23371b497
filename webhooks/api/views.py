"""Webhook endpoints: a session's webhook, its delivery log, and manual retries."""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from sessions_app.selectors import session_get_for_key
from webhooks.api.serializers import (
    LAST_DELIVERIES,
    WebhookConfigDetailOutputSerializer,
    WebhookConfigInputSerializer,
    WebhookConfigOutputSerializer,
    WebhookConfigPatchInputSerializer,
    WebhookConfigSavedOutputSerializer,
    WebhookDeliveryDetailOutputSerializer,
    WebhookDeliveryListOutputSerializer,
    WebhookDeliveryListQuerySerializer,
    WebhookDeliveryOutputSerializer,
)
from webhooks.outbox import webhook_delivery_retry
from webhooks.selectors import (
    webhook_config_for_session,
    webhook_deliveries_for_session,
    webhook_delivery_check_retry,
    webhook_delivery_get_for_key,
)
from webhooks.services import webhook_configure, webhook_delete, webhook_update
from yesapp.api.envelope import list_envelope
from yesapp.errors import NotFound
from yesapp.schema import error_responses

_SESSION_ID = "3f1c2b9e-8d7a-4e62-9f0a-1b2c3d4e5f60"
_WEBHOOK_ID = "0b6f3c1e-2d4a-4c5b-8e7f-9a1b2c3d4e5f"
_DELIVERY_EXAMPLE = {
    "id": "8d0f2a4c-5b1e-4f3a-9c6d-7e8f9a0b1c2d",
    "sessionId": _SESSION_ID,
    "webhookId": _WEBHOOK_ID,
    "event": "message.received",
    "status": "succeeded",
    "url": "https://example.com/whatsapp/hook",
    "attemptCount": 1,
    "nextAttemptAt": None,
    "lastStatusCode": 200,
    "lastError": "",
    "createdAt": "2026-01-05T10:02:41.120Z",
    "finishedAt": "2026-01-05T10:02:41.164Z",
    "payload": {
        "event": "message.received",
        "sessionId": _SESSION_ID,
        "messageId": "5c9e6f1a-0b7d-4d1e-8a39-2f4b6c8d0e12",
        "direction": "inbound",
        "status": "received",
        "type": "text",
        "chatId": "33612345678@c.us",
        "from": "33612345678@c.us",
        "to": "33698765432@c.us",
        "text": "Hello!",
        "timestamp": "2026-01-05T10:02:41Z",
        "mediaUrl": None,
    },
}
_CONFIG_EXAMPLE = {
    "id": _WEBHOOK_ID,
    "sessionId": _SESSION_ID,
    "url": "https://example.com/whatsapp/hook",
    "events": ["message.received", "message.status"],
    "headers": {"Authorization": "***"},
    "ordered": True,
    "format": "yesapp",
    "options": {},
    "createdAt": "2026-01-05T09:30:00Z",
    "updatedAt": "2026-01-05T09:30:00Z",
}


class SessionWebhookApi(APIView):
    @extend_schema(
        tags=["webhooks"],
        operation_id="session_webhook_get",
        summary="Get a session's webhook",
        description="The session's (first) webhook (never its secret; header values hidden) and its "
        f"{LAST_DELIVERIES} newest deliveries. 404 when the session has no webhook of its own. "
        "A session can have several: see `GET .../webhooks`.",
        responses={
            200: OpenApiResponse(
                WebhookConfigDetailOutputSerializer,
                examples=[
                    OpenApiExample(
                        "A webhook", value={**_CONFIG_EXAMPLE, "lastDeliveries": [_DELIVERY_EXAMPLE]}
                    )
                ],
            ),
            **error_responses(404),
        },
    )
    def get(self, request: Request, session_id) -> Response:
        session = session_get_for_key(key=request.auth, session_id=session_id)
        config = webhook_config_for_session(session=session)
        if config is None:
            raise NotFound("This session has no webhook.", details={"sessionId": str(session.pk)})
        return Response(WebhookConfigDetailOutputSerializer(config, context={"key": request.auth}).data)

    @extend_schema(
        tags=["webhooks"],
        operation_id="session_webhook_set",
        summary="Set a session's webhook",
        description=(
            "Creates or replaces the whole webhook that receives this session's events "
            "(`message.received`, `message.status`, `session.status`) as signed JSON POSTs. Fields "
            "left out take their defaults, also when replacing: all events, no extra headers, "
            "`ordered` true, and a newly generated secret, returned **once** in this response: store "
            "it to verify `X-YesApp-Signature` (see docs/WEBHOOKS.md). To change some fields and keep "
            "the others (the secret too), use PATCH. Events are stored first "
            "and then delivered, retried on 5xx, 408, 429, timeouts and network errors "
            "(WEBHOOK_RETRY_DELAYS, by default 3 attempts at 0 s, 1 s, 2 s)."
        ),
        request=WebhookConfigInputSerializer,
        examples=[
            OpenApiExample(
                "All events, generated secret",
                value={"url": "https://example.com/whatsapp/hook"},
                request_only=True,
            ),
            OpenApiExample(
                "Chosen events, own secret, receiver auth",
                value={
                    "url": "https://example.com/whatsapp/hook",
                    "events": ["message.received", "message.status"],
                    "secret": "a-long-random-secret-of-yours",
                    "headers": {"Authorization": "Bearer my-receiver-token"},
                },
                request_only=True,
            ),
        ],
        responses={
            200: OpenApiResponse(
                WebhookConfigSavedOutputSerializer,
                examples=[
                    OpenApiExample(
                        "Saved, with generated secret",
                        value={
                            **_CONFIG_EXAMPLE,
                            "secret": "whsec_Zt3q8v6yq0d1mS4c0pX8mF0b2R5nK7wQe9uJ1aL3hY",
                        },
                        response_only=True,
                    )
                ],
            ),
            **error_responses(400, 404),
        },
    )
    def put(self, request: Request, session_id) -> Response:
        session = session_get_for_key(key=request.auth, session_id=session_id)
        data = WebhookConfigInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        config, secret = webhook_configure(session=session, **data.validated_data)
        return Response(WebhookConfigSavedOutputSerializer(config, context={"generated_secret": secret}).data)

    @extend_schema(
        tags=["webhooks"],
        operation_id="session_webhook_update",
        summary="Change some fields of a session's webhook",
        description=(
            "Changes only the fields given (`url`, `events`, `secret`, `headers`, `ordered`); the "
            "others, the secret included, stay as they are. 404 when the session has no webhook "
            "(PUT makes one). The secret is never returned here."
        ),
        request=WebhookConfigPatchInputSerializer,
        examples=[
            OpenApiExample("Only the events", value={"events": ["message.received"]}, request_only=True),
        ],
        responses={
            200: OpenApiResponse(
                WebhookConfigOutputSerializer,
                examples=[
                    OpenApiExample(
                        "Changed",
                        value={**_CONFIG_EXAMPLE, "events": ["message.received"]},
                        response_only=True,
                    )
                ],
            ),
            **error_responses(400, 404),
        },
    )
    def patch(self, request: Request, session_id) -> Response:
        session = session_get_for_key(key=request.auth, session_id=session_id)
        data = WebhookConfigPatchInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        config = webhook_update(session=session, **data.validated_data)
        return Response(WebhookConfigOutputSerializer(config).data)

    @extend_schema(
        tags=["webhooks"],
        operation_id="session_webhook_delete",
        summary="Remove a session's webhook",
        description="Stops sending this session's events to its webhook and deletes its delivery log. "
        "Answers 204 also when there was none. The default webhook (WEBHOOK_URL) then applies, if set.",
        responses={204: None, **error_responses(404)},
    )
    def delete(self, request: Request, session_id) -> Response:
        session = session_get_for_key(key=request.auth, session_id=session_id)
        webhook_delete(session=session)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SessionWebhookDeliveriesApi(APIView):
    @extend_schema(
        tags=["webhooks"],
        operation_id="session_webhook_deliveries",
        summary="List a session's webhook deliveries",
        description="Newest first: every event sent (or being sent) to this session's webhook or to the "
        "default one, with its status, attempts, last error and the exact payload. Use "
        "`GET /webhooks/deliveries/{id}` for each attempt's status code, duration and response.",
        parameters=[WebhookDeliveryListQuerySerializer],
        responses={
            200: OpenApiResponse(
                WebhookDeliveryListOutputSerializer,
                examples=[
                    OpenApiExample(
                        "One page",
                        value={
                            "items": [_DELIVERY_EXAMPLE],
                            "total": 1,
                            "limit": 50,
                            "offset": 0,
                            "count": 1,
                            "results": [_DELIVERY_EXAMPLE],
                        },  # fmt: skip
                    )
                ],
            ),
            **error_responses(400, 404),
        },
    )
    def get(self, request: Request, session_id) -> Response:
        session = session_get_for_key(key=request.auth, session_id=session_id)
        filters = WebhookDeliveryListQuerySerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        limit, offset = filters.validated_data["limit"], filters.validated_data["offset"]
        deliveries = webhook_deliveries_for_session(
            session=session, status=filters.validated_data.get("status")
        )
        page = deliveries.select_related("config")[offset : offset + limit]
        items = WebhookDeliveryOutputSerializer(page, many=True, context={"key": request.auth}).data
        total = deliveries.count()
        return Response(
            list_envelope(
                items=items, total=total, limit=limit, offset=offset,
                deprecated={"count": total, "results": items},
            )
        )  # fmt: skip


class WebhookDeliveryApi(APIView):
    @extend_schema(
        tags=["webhooks"],
        operation_id="webhook_delivery_get",
        summary="Get a webhook delivery with its attempts",
        description="One delivery and every attempt: URL, status code, duration, error and the start "
        "of the receiver's response. Use it to see why a receiver refused an event.",
        responses={
            200: OpenApiResponse(
                WebhookDeliveryDetailOutputSerializer,
                examples=[
                    OpenApiExample(
                        "Succeeded on the second attempt",
                        value={
                            **_DELIVERY_EXAMPLE,
                            "attemptCount": 2,
                            "attempts": [
                                {
                                    "number": 1,
                                    "url": "https://example.com/whatsapp/hook",
                                    "startedAt": "2026-01-05T10:02:41.120Z",
                                    "durationMs": 31,
                                    "statusCode": 503,
                                    "error": "HTTP 503",
                                    "responseExcerpt": "upstream unavailable",
                                    "outcome": "retry",
                                },
                                {
                                    "number": 2,
                                    "url": "https://example.com/whatsapp/hook",
                                    "startedAt": "2026-01-05T10:02:42.160Z",
                                    "durationMs": 12,
                                    "statusCode": 200,
                                    "error": "",
                                    "responseExcerpt": "ok",
                                    "outcome": "success",
                                },
                            ],
                        },
                    )
                ],
            ),
            **error_responses(404),
        },
    )
    def get(self, request: Request, delivery_id) -> Response:
        delivery = webhook_delivery_get_for_key(key=request.auth, delivery_id=delivery_id)
        return Response(WebhookDeliveryDetailOutputSerializer(delivery, context={"key": request.auth}).data)


class WebhookDeliveryRetryApi(APIView):
    @extend_schema(
        tags=["webhooks"],
        operation_id="webhook_delivery_retry",
        summary="Retry a webhook delivery",
        description="Sends a finished delivery again, at once, with a fresh retry schedule: a failed one "
        "once your receiver is fixed, or a succeeded one to replay it. The body and the delivery id "
        "(`X-YesApp-Delivery`) are the same as before, the signature is new. 409 while it is still "
        "pending or being sent; 403 for a delivery to the server's default webhook unless the key is "
        "an admin key.",
        request=None,
        responses={
            202: OpenApiResponse(
                WebhookDeliveryOutputSerializer,
                examples=[
                    OpenApiExample(
                        "Queued again",
                        value={**_DELIVERY_EXAMPLE, "status": "pending", "finishedAt": None},
                    )
                ],
            ),
            **error_responses(403, 404, 409),
        },
    )
    def post(self, request: Request, delivery_id) -> Response:
        delivery = webhook_delivery_get_for_key(key=request.auth, delivery_id=delivery_id)
        webhook_delivery_check_retry(key=request.auth, delivery=delivery)
        delivery = webhook_delivery_retry(delivery=delivery)
        return Response(
            WebhookDeliveryOutputSerializer(delivery, context={"key": request.auth}).data,
            status=status.HTTP_202_ACCEPTED,
        )
