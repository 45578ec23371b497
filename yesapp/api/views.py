"""API key management (admin keys only) and `GET /api/v1/me`."""

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from yesapp.api.envelope import PageQuerySerializer, list_envelope, list_envelope_serializer
from yesapp.api.serializers import (
    ApiKeyCreatedSerializer,
    ApiKeyCreateInputSerializer,
    ApiKeyOutputSerializer,
)
from yesapp.apikeys import MIN_REVOKE_PREFIX, apikey_create, apikey_revoke
from yesapp.authentication import HasApiKey, IsAdminKey
from yesapp.models import ApiKey
from yesapp.schema import error_responses

_KEY_EXAMPLE = {
    "prefix": "9f86d081",
    "name": "crm",
    "isAdmin": True,
    "sessions": [],
    "active": True,
    "createdAt": "2026-01-05T09:30:00Z",
    "lastUsedAt": "2026-01-05T10:02:41Z",
    "revokedAt": None,
}
_SCOPED_EXAMPLE = {
    **_KEY_EXAMPLE,
    "prefix": "4e07408a",
    "name": "shop-bot",
    "isAdmin": False,
    "sessions": ["3f1c2b9e-8d7a-4e62-9f0a-1b2c3d4e5f60"],
    "lastUsedAt": None,
}


class MeView(APIView):
    permission_classes = [HasApiKey]

    @extend_schema(
        tags=["API keys"],
        operation_id="me",
        summary="Which key am I using?",
        description=(
            "Describes the API key sent in `X-API-Key`: its prefix, name, whether it is an admin key, "
            "and the sessions a limited key may use. A handy first call to check that a key works:\n\n"
            '`curl -H "X-API-Key: $KEY" http://localhost:3000/api/v1/me`'
        ),
        responses={
            200: OpenApiResponse(
                ApiKeyOutputSerializer,
                examples=[
                    OpenApiExample("Admin key", value=_KEY_EXAMPLE),
                    OpenApiExample("Key limited to one session", value=_SCOPED_EXAMPLE),
                ],
            ),
            **error_responses(429),
        },
    )
    def get(self, request: Request) -> Response:
        key = ApiKey.objects.prefetch_related("sessions").get(pk=request.auth.pk)
        return Response(ApiKeyOutputSerializer(key).data)


class KeyListCreateView(APIView):
    permission_classes = [IsAdminKey]

    @extend_schema(
        tags=["API keys"],
        operation_id="keys_list",
        summary="List API keys",
        description=(
            "Every key, newest first, revoked ones included. Only the visible prefix is shown: "
            "the key itself is never stored, only its SHA-256 hash. Admin keys only."
        ),
        parameters=[PageQuerySerializer],
        responses={
            200: OpenApiResponse(
                list_envelope_serializer(ApiKeyOutputSerializer(many=True), name="ApiKeyList"),
                examples=[
                    OpenApiExample(
                        "Two keys",
                        value=list_envelope(
                            items=[_KEY_EXAMPLE, _SCOPED_EXAMPLE], total=2, limit=100, offset=0
                        ),
                    )
                ],
            ),
            **error_responses(400, 403, 429),
        },
    )
    def get(self, request: Request) -> Response:
        page = PageQuerySerializer(data=request.query_params)
        page.is_valid(raise_exception=True)
        limit, offset = page.validated_data["limit"], page.validated_data["offset"]
        keys = ApiKey.objects.prefetch_related("sessions").order_by("-created_at", "-pk")
        items = ApiKeyOutputSerializer(keys[offset : offset + limit], many=True).data
        return Response(list_envelope(items=items, total=keys.count(), limit=limit, offset=offset))

    @extend_schema(
        tags=["API keys"],
        operation_id="keys_create",
        summary="Create an API key",
        description=(
            "Makes a new key and returns it **once**, in `key`: store it now, it cannot be shown "
            "again. With `sessions` the key is limited to those sessions (other sessions answer "
            "404 to it, and it cannot manage keys); without it the key is an admin key. "
            "Admin keys only."
        ),
        request=ApiKeyCreateInputSerializer,
        examples=[
            OpenApiExample("Admin key", value={"name": "crm"}, request_only=True),
            OpenApiExample(
                "Key limited to one session",
                value={"name": "shop-bot", "sessions": ["3f1c2b9e-8d7a-4e62-9f0a-1b2c3d4e5f60"]},
                request_only=True,
            ),
        ],
        responses={
            201: OpenApiResponse(
                ApiKeyCreatedSerializer,
                examples=[
                    OpenApiExample(
                        "Created",
                        value={**_KEY_EXAMPLE, "lastUsedAt": None, "key": "9f86d081" + "0" * 56},
                    )
                ],
            ),
            **error_responses(400, 403, 429),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = ApiKeyCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        session_ids = serializer.validated_data.get("sessions", [])
        key, raw_key = apikey_create(
            name=serializer.validated_data["name"], is_admin=not session_ids, session_ids=session_ids
        )
        key = ApiKey.objects.prefetch_related("sessions").get(pk=key.pk)
        data = {**ApiKeyOutputSerializer(key).data, "key": raw_key}
        return Response(data, status=status.HTTP_201_CREATED)


class KeyRevokeView(APIView):
    permission_classes = [IsAdminKey]

    @extend_schema(
        tags=["API keys"],
        operation_id="keys_revoke",
        summary="Revoke an API key",
        description=(
            "Revokes the active key whose prefix starts with `prefix` (at least 4 characters). "
            "From then on it gets 401. Revoking the key you are using is allowed: keep another "
            "admin key, or make one with `python manage.py createapikey`. Admin keys only."
        ),
        parameters=[
            OpenApiParameter(
                "prefix",
                str,
                OpenApiParameter.PATH,
                # Keys are lowercase hex: no other text can name one.
                pattern=rf"^[0-9a-f]{{{MIN_REVOKE_PREFIX},}}$",
                description="The key's prefix, e.g. `9f86d081`.",
            )
        ],
        responses={
            204: OpenApiResponse(description="Revoked."),
            **error_responses(400, 403, 404, 409, 429),
        },
    )
    def delete(self, request: Request, prefix: str) -> Response:
        apikey_revoke(prefix=prefix)
        return Response(status=status.HTTP_204_NO_CONTENT)
