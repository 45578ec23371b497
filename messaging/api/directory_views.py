"""A session's WhatsApp contacts: the list, one contact with their about text and profile
picture, the picture itself, block and unblock. Thin views over messaging.directory."""

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from messaging import directory
from messaging.api.contact_serializers import (
    ContactBlockOutputSerializer,
    ContactDetailOutputSerializer,
    ContactListQuerySerializer,
    ContactOutputSerializer,
    ContactQuerySerializer,
)
from messaging.api.contact_views import ASKS_THE_PAGE, TAG
from messaging.api.views import SESSION_ID_PARAM
from sessions_app.selectors import session_get_for_key
from yesapp.api.envelope import list_envelope, list_envelope_serializer
from yesapp.errors import NotFound
from yesapp.file_storage import file_stream
from yesapp.schema import error_responses
from yesapp.validators import PERSON_SCHEMA

CONTACT_ID_PARAM = OpenApiParameter(
    "contact_id",
    PERSON_SCHEMA,
    OpenApiParameter.PATH,
    description="`<digits>@c.us`, `<digits>@lid` or an E.164 number (`+33612345678`).",
)
CONTACT_EXAMPLE = {
    "id": "33612345678@c.us",
    "phone": "+33612345678",
    "lid": "123456789012345@lid",
    "name": "Alice Martin",
    "pushName": "Alice",
    "business": False,
    "myContact": True,
    "blocked": False,
}
DETAIL_EXAMPLE = {
    **CONTACT_EXAMPLE,
    "about": "Hey there! I am using WhatsApp.",
    "picture": {
        "url": "/api/v1/sessions/3f1c2b9e-8d7a-4e62-9f0a-1b2c3d4e5f60/contacts/33612345678@c.us/picture",
        "mimetype": "image/jpeg",
        "size": 14233,
    },
    "profileFetchedAt": "2026-11-27T10:00:00Z",
}
LIST_ANSWER = list_envelope_serializer(ContactOutputSerializer(many=True), name="ContactList")


def _contact_id(value: str) -> str:
    return directory.contact_id_from(value)


class ContactListApi(APIView):
    @extend_schema(
        tags=TAG,
        summary="List contacts",
        operation_id="contacts_list",
        parameters=[SESSION_ID_PARAM, ContactListQuerySerializer],
        description=(
            "The people in the session's WhatsApp (wa-js `WPP.contact.list`), by name: their name in "
            "the phone's address book, their own push name, business or not, blocked or not, and the "
            "person as `phone` and `lid` (either null when WhatsApp Web does not know it). `search` "
            "matches names, the number and the lid. The list is read from WhatsApp at most every "
            "`CONTACTS_LIST_CACHE_SECONDS` (5 min by default; `refresh=true` reads it now). " + ASKS_THE_PAGE
        ),
        responses={200: LIST_ANSWER, **error_responses(400, 404, 409, 503, 504)},
        examples=[
            OpenApiExample(
                "One contact",
                value=list_envelope(items=[CONTACT_EXAMPLE], total=1, limit=100, offset=0),
                response_only=True,
            )
        ],
    )
    def get(self, request, session_id):
        session = session_get_for_key(key=request.auth, session_id=session_id)
        query = ContactListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        rows = directory.contact_list(session=session, search=params["search"], refresh=params["refresh"])
        page = list(rows[params["offset"] : params["offset"] + params["limit"]])
        items = ContactOutputSerializer(page, many=True).data
        total = rows.count()
        return Response(
            list_envelope(items=items, total=total, limit=params["limit"], offset=params["offset"])
        )


class ContactDetailApi(APIView):
    @extend_schema(
        tags=TAG,
        summary="One contact, with about and profile picture",
        operation_id="contacts_get",
        parameters=[SESSION_ID_PARAM, CONTACT_ID_PARAM, ContactQuerySerializer],
        description=(
            "A contact as in the list, plus their `about` text (`WPP.contact.getStatus`) and profile "
            "picture (`WPP.contact.getProfilePictureUrl`: the session's page fetches it from WhatsApp, "
            "YesApp stores it and serves it at `picture.url`). Either is null when the person has none "
            "or hides it from you. Kept for `CONTACTS_PROFILE_CACHE_SECONDS` (a day by default; "
            "`refresh=true` fetches it now). 404 `contact_not_found` when WhatsApp knows no such "
            "contact; 400 for an id that is not a person's (a group). " + ASKS_THE_PAGE
        ),
        responses={200: ContactDetailOutputSerializer, **error_responses(400, 404, 409, 503, 504)},
        examples=[OpenApiExample("A contact", value=DETAIL_EXAMPLE, response_only=True)],
    )
    def get(self, request, session_id, contact_id):
        session = session_get_for_key(key=request.auth, session_id=session_id)
        query = ContactQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        contact = directory.contact_get(
            session=session, contact_id=_contact_id(contact_id), refresh=query.validated_data["refresh"]
        )
        return Response(ContactDetailOutputSerializer(contact).data)


class ContactPictureApi(APIView):
    def perform_content_negotiation(self, request, force=False):
        # Clients ask for `image/*`; errors still answer in JSON.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        tags=TAG,
        summary="A contact's profile picture",
        operation_id="contacts_picture",
        parameters=[SESSION_ID_PARAM, CONTACT_ID_PARAM],
        description=(
            "The picture stored by the last `GET .../contacts/{contactId}`, with its own type. 404 "
            "`picture_not_available` when none is stored (the contact has none, or was not asked for yet)."
        ),
        responses={
            (200, "image/*"): OpenApiResponse(OpenApiTypes.BINARY, description="The picture."),
            **error_responses(400, 404),
        },
    )
    def get(self, request, session_id, contact_id):
        session = session_get_for_key(key=request.auth, session_id=session_id)
        contact = directory.contact_picture(session=session, contact_id=_contact_id(contact_id))
        opened = file_stream(contact.picture_name)
        if opened is None:  # replaced or deleted since it was looked up
            raise NotFound(
                "The profile picture is gone; GET the contact again.", code="picture_not_available"
            )
        response = FileResponse(opened[0], content_type=contact.picture_mimetype)
        response["Content-Length"] = str(opened[1])
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, max-age=300"
        return response


def _block_schema(blocked: bool) -> dict:
    verb = "Block" if blocked else "Unblock"
    function = "blockContact" if blocked else "unblockContact"
    return {
        "tags": TAG,
        "summary": f"{verb} a contact",
        "operation_id": f"contacts_{verb.lower()}",
        "parameters": [SESSION_ID_PARAM, CONTACT_ID_PARAM],
        "request": None,
        "description": (
            f"{verb}s the person for the session's number (wa-js `WPP.blocklist.{function}`): a blocked "
            "person's messages do not reach you, and messages to them fail. Answers the state WhatsApp "
            "now has. 404 `contact_not_found` for a number WhatsApp does not know. " + ASKS_THE_PAGE
        ),
        "responses": {200: ContactBlockOutputSerializer, **error_responses(400, 404, 409, 503, 504)},
        "examples": [
            OpenApiExample(
                verb + "ed", value={"contactId": "33612345678@c.us", "blocked": blocked}, response_only=True
            )
        ],
    }


class _ContactBlockBase(APIView):
    blocked = True

    def post(self, request, session_id, contact_id):
        session = session_get_for_key(key=request.auth, session_id=session_id)
        answer = directory.contact_set_blocked(
            session=session, contact_id=_contact_id(contact_id), blocked=self.blocked
        )
        return Response(ContactBlockOutputSerializer(answer).data)


class ContactBlockApi(_ContactBlockBase):
    blocked = True

    @extend_schema(**_block_schema(True))
    def post(self, request, session_id, contact_id):
        return super().post(request, session_id, contact_id)


class ContactUnblockApi(_ContactBlockBase):
    blocked = False

    @extend_schema(**_block_schema(False))
    def post(self, request, session_id, contact_id):
        return super().post(request, session_id, contact_id)
