"""Linking a session to a phone: its QR code, or a pairing code for a phone number."""

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import renderers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from sessions_app import services
from sessions_app.api.serializers import (
    PairingCodeInputSerializer,
    PairingCodeOutputSerializer,
    QrOutputSerializer,
)
from sessions_app.api.views import TAG
from sessions_app.models import SessionStatus
from sessions_app.qr import qr_data_url, qr_png
from sessions_app.selectors import session_get_for_key
from yesapp.errors import Conflict
from yesapp.schema import error_responses

PAIRING_EXAMPLE = {
    "status": "ready",
    "code": "K3ZP9QWA",
    "phone": "+33612345678",
    "error": "",
    "requestedAt": "2026-11-27T10:00:05Z",
}
QR_EXAMPLE = OpenApiExample(
    "Waiting for a scan",
    value={
        "status": "qr",
        "qr": "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAA...",
        "raw": "2@Zm9vYmFy,c2VjcmV0a2V5,aWRlbnRpdHk=,YWR2",
        "issuedAt": "2026-11-27T10:00:03Z",
    },
    response_only=True,
    media_type="application/json",
)


class PngRenderer(renderers.BaseRenderer):
    media_type = "image/png"
    format = "png"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


class SessionQrApi(APIView):
    renderer_classes = [renderers.JSONRenderer, PngRenderer]

    @extend_schema(
        tags=TAG,
        operation_id="sessions_qr",
        examples=[QR_EXAMPLE],
        summary="Get the QR code to link a phone",
        description=(
            "While the session waits for a scan (`status` = `qr`): the QR as a PNG data URL plus the "
            "raw string. Send `Accept: image/png` to get the PNG itself. On the phone: WhatsApp → "
            "Settings → Linked devices → Link a device. The QR changes every ~20 s; poll this every "
            "few seconds. 409 when the session is not waiting for a scan."
        ),
        responses={
            (200, "application/json"): QrOutputSerializer,
            (200, "image/png"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The QR code as a PNG image."
            ),
            **error_responses(404, 409),
        },
    )
    def get(self, request, session_id):
        session = session_get_for_key(key=request.auth, session_id=session_id)
        if session.status != SessionStatus.QR or not session.qr_raw:
            if request.accepted_renderer.format == "png":
                request.accepted_renderer = renderers.JSONRenderer()
                request.accepted_media_type = "application/json"
            raise Conflict(
                f"The session is not waiting for a scan (status: {session.status}).",
                code="not_waiting_for_scan",
                details={"status": session.status},
            )
        if request.accepted_renderer.format == "png":
            return HttpResponse(qr_png(session.qr_raw), content_type="image/png")
        return Response(
            {
                "status": session.status,
                "qr": qr_data_url(session.qr_raw),
                "raw": session.qr_raw,
                "issuedAt": session.qr_issued_at,
            }
        )


class SessionPairingCodeApi(APIView):
    @extend_schema(
        tags=TAG,
        operation_id="sessions_pairing_code",
        summary="Link with a phone number instead of a QR",
        description=(
            "Asks WhatsApp for an 8-character pairing code for this number (wa-js "
            "`WPP.conn.genLinkDeviceCodeForPhoneNumber`). On the phone: Linked devices → Link a device → "
            "Link with phone number instead, then type the code. 409 unless the session waits for a scan.\n\n"
            "The API waits at most `ENGINE_COMMAND_WAIT` (2 s) for the browser: **200** with `status` "
            "`ready` and the `code` when it answered in time, otherwise **202** with `status` `pending`. "
            "Then poll `GET /sessions/{id}`: its `pairingCode` becomes `ready` (with the code) or `failed` "
            "(with `error`). An error the engine answers in time is a 409 with its code."
        ),
        request=PairingCodeInputSerializer,
        responses={
            200: PairingCodeOutputSerializer,
            202: PairingCodeOutputSerializer,
            **error_responses(400, 404, 409, 503),
        },
        examples=[
            OpenApiExample("Request", value={"phone": "+33612345678"}, request_only=True),
            OpenApiExample("Code", value=PAIRING_EXAMPLE, response_only=True, status_codes=["200"]),
            OpenApiExample(
                "Not answered yet",
                value={**PAIRING_EXAMPLE, "status": "pending", "code": ""},
                response_only=True,
                status_codes=["202"],
            ),
        ],
    )
    def post(self, request, session_id):
        session = session_get_for_key(key=request.auth, session_id=session_id)
        data = PairingCodeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        state = services.session_pairing_code(session=session, **data.validated_data)
        ready = state.get("status") == "ready"
        return Response(
            PairingCodeOutputSerializer(state).data,
            status=status.HTTP_200_OK if ready else status.HTTP_202_ACCEPTED,
            headers={} if ready else {"Location": f"/api/v1/sessions/{session.pk}"},
        )
