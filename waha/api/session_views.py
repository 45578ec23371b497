"""WAHA's session endpoints: sessions by name, their actions, linking (QR, pairing code)."""

import base64
import time

from django.conf import settings
from django.db import transaction
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from sessions_app import services as sessions
from sessions_app.models import DesiredState, Session, SessionStatus
from sessions_app.qr import qr_png
from sessions_app.selectors import pairing_code_state
from waha import services
from waha.api import serializers as s
from waha.api.base import TAG, WahaView, waha_errors
from waha.errors import PairingCodeRefused, QrNotAvailable
from waha.selectors import waha_sessions
from waha.shapes import me_info, session_dto, session_info
from waha.webhook_config import waha_session_config, waha_session_webhooks_set
from yesapp.authentication import IsAdminKey
from yesapp.errors import GatewayTimeout
from yesapp.schema import BODY_OPTIONAL

SESSION_PARAM = OpenApiParameter(
    "session", OpenApiTypes.STR, OpenApiParameter.PATH, description="The session's name."
)
INFO_EXAMPLE = {
    "name": "default",
    "status": "WORKING",
    "config": {"webhooks": []},
    "me": {"id": "33612345678@c.us", "pushName": "Shop"},
    "engine": {"engine": "WPP"},
}


DTO_EXAMPLE = {k: INFO_EXAMPLE[k] for k in ("name", "status", "config")}
WEBHOOK_EXAMPLE = {
    "url": "https://example.com/waha",
    "events": ["message", "session.status"],
    "hmac": {"key": "a-long-random-secret"},
    "retries": None,
    "customHeaders": [],
}


def _dto_example(status: int = 200) -> OpenApiExample:
    return OpenApiExample("Session", value=DTO_EXAMPLE, response_only=True, status_codes=[str(status)])


def _info(session: Session) -> dict:
    return session_info(session, config=waha_session_config(session))


def _dto(session: Session) -> dict:
    return session_dto(session, config=waha_session_config(session))


class SessionsApi(WahaView):
    def get_permissions(self):
        return [IsAdminKey()] if self.request.method == "POST" else super().get_permissions()

    @extend_schema(
        tags=TAG,
        operation_id="waha_sessions_list",
        summary="List sessions (WAHA)",
        description="A bare JSON array, as WAHA answers; STOPPED sessions only with `all=true`. "
        "A key limited to some sessions sees only those.",
        parameters=[s.WahaListSessionsQuerySerializer],
        responses={200: s.WahaSessionInfoSerializer(many=True), **waha_errors()},
        examples=[OpenApiExample("One session", value=INFO_EXAMPLE, response_only=True)],
    )
    def get(self, request):
        query = s.WahaListSessionsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        found = waha_sessions(key=request.auth, include_stopped=query.validated_data["all"])
        return Response([_info(session) for session in found])

    @extend_schema(
        tags=TAG,
        operation_id="waha_sessions_create",
        summary="Create a session (WAHA)",
        description="Creates the session and starts it unless `start` is false. Names are used in "
        "URLs: letters, digits, `_ . -`; `v1`, `schema`, `docs`, `sessions` and `contacts` are "
        "refused (they are YesApp's own paths). Admin keys only.",
        request=s.WahaSessionCreateInputSerializer,
        # WAHA makes the session "default" from no body at all.
        extensions={BODY_OPTIONAL: True},
        responses={201: s.WahaSessionDTOSerializer, **waha_errors(403, 409)},
        examples=[
            OpenApiExample(
                "With a webhook",
                value={"name": "default", "start": True, "config": {"webhooks": [WEBHOOK_EXAMPLE]}},
                request_only=True,
            ),
            _dto_example(201),
        ],
    )
    def post(self, request):
        data = s.WahaSessionCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        with transaction.atomic():
            session = services.waha_session_create(
                name=values["name"], start=values["start"], sandbox=values["sandbox"]
            )
            waha_session_webhooks_set(session=session, webhooks=(values.get("config") or {}).get("webhooks"))
        return Response(_dto(session), status=status.HTTP_201_CREATED)


class SessionDetailApi(WahaView):
    def get_permissions(self):
        return [IsAdminKey()] if self.request.method == "DELETE" else super().get_permissions()

    @extend_schema(
        tags=TAG,
        operation_id="waha_sessions_get",
        summary="Get a session (WAHA)",
        parameters=[SESSION_PARAM],
        responses={200: s.WahaSessionInfoSerializer, **waha_errors(404)},
        examples=[OpenApiExample("Working", value=INFO_EXAMPLE, response_only=True)],
    )
    def get(self, request, session):
        return Response(_info(self.session_named(session)))

    @extend_schema(
        tags=TAG,
        operation_id="waha_sessions_update",
        summary="Update a session's config (WAHA)",
        description="`config.webhooks` replaces the session's webhooks of format `waha` (several, "
        "each with its URL, events, `hmac.key` and `customHeaders`); YesApp's own webhooks stay. "
        "Other config fields are accepted and not kept.",
        parameters=[SESSION_PARAM],
        request=s.WahaSessionUpdateInputSerializer,
        # Every field is optional, and no body at all changes nothing (as `{}`).
        extensions={BODY_OPTIONAL: True},
        responses={200: s.WahaSessionDTOSerializer, **waha_errors(404)},
        examples=[
            OpenApiExample("Webhooks", value={"config": {"webhooks": [WEBHOOK_EXAMPLE]}}, request_only=True),
            _dto_example(),
        ],
    )
    def put(self, request, session):
        found = self.session_named(session)
        data = s.WahaSessionUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # WAHA's PUT replaces the config: a config without webhooks removes them; no config at
        # all leaves them as they are.
        config = data.validated_data.get("config")
        webhooks = None if config is None else (config.get("webhooks") or [])
        waha_session_webhooks_set(session=found, webhooks=webhooks)
        return Response(_dto(found))

    @extend_schema(
        tags=TAG,
        operation_id="waha_sessions_delete",
        summary="Delete a session (WAHA)",
        description="Stops the browser and deletes the session with its messages. Admin keys only.",
        parameters=[SESSION_PARAM],
        request=None,
        responses={200: OpenApiResponse(description="Deleted; no body."), **waha_errors(403, 404)},
    )
    def delete(self, request, session):
        sessions.session_delete(session=self.session_named(session))
        return HttpResponse(status=200)


def _start(session: Session) -> Session:
    # WAHA's start of a running session is no error: it answers the session as it is.
    if session.desired_state == DesiredState.RUNNING and session.is_running:
        return session
    return sessions.session_start(session=session)


def _stop(session: Session) -> Session:
    if session.desired_state == DesiredState.STOPPED and session.status in (
        SessionStatus.STOPPED,
        SessionStatus.FAILED,
    ):
        return session
    return sessions.session_stop(session=session)


_ACTIONS = {
    "start": _start,
    "stop": _stop,
    "restart": lambda session: sessions.session_restart(session=session),
    "logout": lambda session: sessions.session_logout(session=session),
}


class SessionActionApi(WahaView):
    action = ""

    def post(self, request, session):
        found = self.session_named(session)
        return Response(_dto(_ACTIONS[self.action](found)), status=status.HTTP_201_CREATED)


def _action_view(action: str, summary: str) -> type[SessionActionApi]:
    @extend_schema(
        tags=TAG,
        operation_id=f"waha_sessions_{action}",
        summary=f"{summary} (WAHA)",
        description="YesApp's own session action, answered as WAHA's SessionDTO.",
        parameters=[SESSION_PARAM],
        request=None,
        responses={201: s.WahaSessionDTOSerializer, **waha_errors(404, 409, 503, 504)},
        examples=[_dto_example(201)],
    )
    def post(self, request, session):
        return SessionActionApi.post(self, request, session)

    return type(f"Session{action.title()}Api", (SessionActionApi,), {"action": action, "post": post})


SESSION_ACTION_VIEWS = {
    "start": _action_view("start", "Start a session"),
    "stop": _action_view("stop", "Stop a session"),
    "restart": _action_view("restart", "Restart a session"),
    "logout": _action_view("logout", "Log a session out (unlink the phone)"),
}


class SessionMeApi(WahaView):
    @extend_schema(
        tags=TAG,
        operation_id="waha_sessions_me",
        summary="The linked account (WAHA)",
        description="`{id, pushName}` once a number is linked, else null.",
        parameters=[SESSION_PARAM],
        responses={200: s.WahaMeInfoSerializer(allow_null=True), **waha_errors(404)},
        examples=[OpenApiExample("Linked", value=INFO_EXAMPLE["me"], response_only=True)],
    )
    def get(self, request, session):
        me = me_info(self.session_named(session))
        # DRF writes None as an empty body; WAHA's clients parse JSON `null`.
        return Response(me) if me is not None else HttpResponse("null", content_type="application/json")


class _WahaFormatParam:
    URL_FORMAT_OVERRIDE = None


class _QrNegotiation(DefaultContentNegotiation):
    # `?format=image|raw` is WAHA's parameter here, not DRF's renderer override.
    settings = _WahaFormatParam()


class _PngRenderer(BaseRenderer):
    media_type = "image/png"
    format = "png"


class QrApi(WahaView):
    content_negotiation_class = _QrNegotiation
    # The PNG is written as an HttpResponse; accepting image/png must still pass negotiation.
    renderer_classes = [JSONRenderer, _PngRenderer]

    @extend_schema(
        tags=TAG,
        operation_id="waha_auth_qr",
        summary="The QR code to link the session (WAHA)",
        description="While the session is SCAN_QR_CODE. `format=raw`: `{value}`, the string in the "
        "QR. `format=image` (the default): a PNG when the client accepts `image/png`, else "
        "`{mimetype, data}` with the PNG in base64 (as WAHA answers `Accept: application/json`). "
        "422 in any other status.",
        parameters=[SESSION_PARAM, s.WahaQrQuerySerializer],
        responses={
            (200, "application/json"): OpenApiResponse(
                OpenApiTypes.OBJECT, description="`{value}` (raw) or `{mimetype, data}` (image)"
            ),
            (200, "image/png"): OpenApiResponse(OpenApiTypes.BINARY, description="The QR as a PNG."),
            **waha_errors(404, 422),
        },
        examples=[
            OpenApiExample(
                "Raw",
                value={"value": "2@Zm9vYmFy,c2VjcmV0a2V5,aWRlbnRpdHk=,YWR2"},
                response_only=True,
                media_type="application/json",
            )
        ],
    )
    def get(self, request, session):
        found = self.session_named(session)
        query = s.WahaQrQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        if found.status != SessionStatus.QR or not found.qr_raw:
            raise QrNotAvailable(
                "Can get QR code only in SCAN_QR_CODE status. "
                f"The current status is '{session_dto(found, config={})['status']}'."
            )
        if query.validated_data["format"] == "raw":
            return Response({"value": found.qr_raw})
        png = qr_png(found.qr_raw)
        if "image/png" in request.headers.get("Accept", ""):
            return HttpResponse(png, content_type="image/png")
        return Response({"mimetype": "image/png", "data": base64.b64encode(png).decode()})


class RequestCodeApi(WahaView):
    @extend_schema(
        tags=TAG,
        operation_id="waha_auth_request_code",
        summary="Link by phone number: a pairing code (WAHA)",
        description="While the session is SCAN_QR_CODE: the code to type on the phone. Waits for "
        "the engine at most ENGINE_COMMAND_TIMEOUT; 504 when it did not answer by then.",
        parameters=[SESSION_PARAM],
        request=s.WahaRequestCodeInputSerializer,
        responses={201: s.WahaRequestCodeOutputSerializer, **waha_errors(404, 409, 422, 503, 504)},
        examples=[
            OpenApiExample("A phone", value={"phoneNumber": "33612345678"}, request_only=True),
            OpenApiExample("The code", value={"code": "K3ZP9QWA"}, response_only=True, status_codes=["201"]),
        ],
    )
    def post(self, request, session):
        found = self.session_named(session)
        data = s.WahaRequestCodeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        phone = data.validated_data["phoneNumber"]
        state = sessions.session_pairing_code(
            session=found, phone=phone if phone.startswith("+") else "+" + phone
        )
        deadline = time.monotonic() + settings.ENGINE_COMMAND_TIMEOUT
        while state.get("status") == "pending" and time.monotonic() < deadline:
            time.sleep(0.2)
            found.refresh_from_db()
            state = pairing_code_state(found)
        if state.get("status") == "failed":
            raise PairingCodeRefused(
                f"WhatsApp gave no pairing code: {state.get('error') or 'unknown error'}."
            )
        if state.get("status") != "ready":
            raise GatewayTimeout("The engine did not give a pairing code in time; retry.")
        return Response({"code": state["code"]}, status=status.HTTP_201_CREATED)
