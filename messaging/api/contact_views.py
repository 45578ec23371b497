"""Contact questions asked of a session's WhatsApp: is a number on it, and the phone number and
lid of one person. Thin views: validate, call one service in messaging.contacts."""

import re

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from messaging import contacts
from messaging.api.contact_serializers import (
    ContactCheckBatchInputSerializer,
    ContactCheckBatchOutputSerializer,
    ContactCheckOutputSerializer,
    ContactCheckQuerySerializer,
    ContactLidOutputSerializer,
)
from messaging.api.views import SESSION_ID_PARAM
from sessions_app.selectors import session_get_for_key
from yesapp.errors import InvalidInput
from yesapp.schema import error_responses
from yesapp.validators import PHONE_SCHEMA, normalize_phone

TAG = ["Contacts"]
_LID = re.compile(r"^(\d{5,20})(@lid)?$")
ASKS_THE_PAGE = (
    "Asked of the session's WhatsApp Web: 409 `session_not_connected` when the session is not "
    "connected, 504 `engine_timeout` when the page does not answer within `CONTACTS_QUERY_TIMEOUT`."
)
CHECK_EXAMPLE = {
    "phone": "+33612345678",
    "exists": True,
    "chatId": "33612345678@c.us",
    "lid": "123456789012345@lid",
    "checkedAt": "2026-11-27T10:00:00Z",
}
ABSENT_EXAMPLE = {
    "phone": "+33612340000",
    "exists": False,
    "chatId": None,
    "lid": None,
    "checkedAt": "2026-11-27T10:00:00Z",
}
_CHECK_DESCRIPTION = (
    "Whether a number has a WhatsApp account (wa-js `WPP.contact.queryWidExists`), with WhatsApp's "
    "own chat id for it and its lid. Answers are reused for `CONTACTS_CHECK_CACHE_SECONDS` (6 h "
    "by default; `checkedAt` tells when WhatsApp answered), and while a number is known absent, "
    "sending to it answers 422 `not_on_whatsapp`. " + ASKS_THE_PAGE
)


class ContactCheckApi(APIView):
    @extend_schema(
        tags=TAG,
        summary="Is this number on WhatsApp?",
        operation_id="contacts_check",
        parameters=[SESSION_ID_PARAM, ContactCheckQuerySerializer],
        description=_CHECK_DESCRIPTION,
        responses={200: ContactCheckOutputSerializer, **error_responses(400, 404, 409, 503, 504)},
        examples=[
            OpenApiExample("On WhatsApp", value=CHECK_EXAMPLE, response_only=True),
            OpenApiExample("Not on WhatsApp", value=ABSENT_EXAMPLE, response_only=True),
        ],
    )
    def get(self, request, session_id):
        session = session_get_for_key(key=request.auth, session_id=session_id)
        query = ContactCheckQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        (result,) = contacts.contacts_check(session=session, phones=[query.validated_data["phone"]])
        return Response(ContactCheckOutputSerializer(result).data)

    @extend_schema(
        tags=TAG,
        summary="Are these numbers on WhatsApp?",
        operation_id="contacts_check_batch",
        parameters=[SESSION_ID_PARAM],
        description=(
            f"Up to {contacts.CHECK_BATCH_MAX} numbers at once: one result per distinct number, in the "
            "order given. Any invalid number answers 400 and checks none. " + _CHECK_DESCRIPTION
        ),
        request=ContactCheckBatchInputSerializer,
        responses={200: ContactCheckBatchOutputSerializer, **error_responses(400, 404, 409, 503, 504)},
        examples=[
            OpenApiExample(
                "Two numbers", value={"phones": ["+33612345678", "+33612340000"]}, request_only=True
            ),
            OpenApiExample("Answers", value={"results": [CHECK_EXAMPLE, ABSENT_EXAMPLE]}, response_only=True),
        ],
    )
    def post(self, request, session_id):
        session = session_get_for_key(key=request.auth, session_id=session_id)
        body = ContactCheckBatchInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        results = contacts.contacts_check(session=session, phones=body.validated_data["phones"])
        return Response(ContactCheckBatchOutputSerializer({"results": results}).data)


class ContactLidApi(APIView):
    @extend_schema(
        tags=TAG,
        summary="The phone number behind a lid",
        operation_id="contacts_lid",
        parameters=[
            SESSION_ID_PARAM,
            OpenApiParameter(
                "lid",
                {"type": "string", "pattern": _LID.pattern},
                OpenApiParameter.PATH,
                description="`<digits>@lid` or the digits.",
            ),
        ],
        description=(
            "WhatsApp identifies many people by an opaque `@lid` id. This answers the phone number "
            "behind it when WhatsApp Web knows it (wa-js `WPP.contact.getPnLidEntry`), `null` when it "
            "does not (a person who hides their number): never a guess. Known pairs are remembered "
            "per session. " + ASKS_THE_PAGE
        ),
        responses={200: ContactLidOutputSerializer, **error_responses(400, 404, 409, 503, 504)},
        examples=[
            OpenApiExample(
                "Known", value={"phone": "+33612345678", "lid": "123456789012345@lid"}, response_only=True
            ),
            OpenApiExample("Hidden", value={"phone": None, "lid": "123456789012345@lid"}, response_only=True),
        ],
    )
    def get(self, request, session_id, lid):
        session = session_get_for_key(key=request.auth, session_id=session_id)
        match = _LID.match(lid.strip())
        if not match:
            raise InvalidInput(
                f"{lid!r} is not a lid; lids look like 123456789012345@lid.", details={"lid": lid}
            )
        answer = contacts.contact_lid_lookup(session=session, lid=f"{match.group(1)}@lid")
        return Response(ContactLidOutputSerializer(answer).data)


class ContactPhoneLidApi(APIView):
    @extend_schema(
        tags=TAG,
        summary="The lid of a phone number",
        operation_id="contacts_phone_lid",
        parameters=[
            SESSION_ID_PARAM,
            OpenApiParameter("phone", PHONE_SCHEMA, OpenApiParameter.PATH, description="E.164."),
        ],
        description=(
            "The `@lid` id WhatsApp uses for a number (wa-js `WPP.contact.getPnLidEntry`), `null` when "
            "WhatsApp Web does not know it (or the number is not on WhatsApp). " + ASKS_THE_PAGE
        ),
        responses={200: ContactLidOutputSerializer, **error_responses(400, 404, 409, 503, 504)},
        examples=[
            OpenApiExample(
                "Known", value={"phone": "+33612345678", "lid": "123456789012345@lid"}, response_only=True
            ),
        ],
    )
    def get(self, request, session_id, phone):
        session = session_get_for_key(key=request.auth, session_id=session_id)
        answer = contacts.contact_phone_lid_lookup(session=session, phone=normalize_phone(phone))
        return Response(ContactLidOutputSerializer(answer).data)
