"""The sandbox API's address book: set a simulated contact's profile (names, business, about,
picture) and the state of their chat (archived, pinned, muted), see whether the session blocked
them, and give them a conversation from before the session was linked (sandbox/directory.py)."""

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from sandbox import directory
from sandbox.api.views import SESSION_ID, TAG, SandboxApi
from sandbox.contacts import sandbox_lid_of
from sandbox.models import SandboxContact
from yesapp.errors import NotFound
from yesapp.schema import at_least_one_field, error_responses
from yesapp.validators import PHONE_SCHEMA, normalize_phone

PHONE = OpenApiParameter("phone", PHONE_SCHEMA, OpenApiParameter.PATH, description="E.164.")
STATE_EXAMPLE = {
    "pushName": "Bakery",
    "savedName": "Bakery on the corner",
    "business": True,
    "about": "Fresh bread every morning",
    "picture": True,
    "archived": False,
    "pinned": True,
    "mutedUntil": None,
    "phone": "+33612345678",
    "lid": "123456789012345@lid",
    "blocked": False,
}
STATE_ANSWER = OpenApiExample("A contact", value=STATE_EXAMPLE, response_only=True)


@at_least_one_field
class ContactStateSerializer(serializers.Serializer):
    """What a simulated contact is to the session's WhatsApp (all optional on PUT)."""

    pushName = serializers.CharField(source="name", required=False, allow_blank=True, max_length=100)
    savedName = serializers.CharField(
        source="saved_name",
        required=False,
        allow_blank=True,
        max_length=100,
        help_text="Their name in the session phone's address book (empty: not a saved contact).",
    )
    business = serializers.BooleanField(required=False)
    about = serializers.CharField(required=False, allow_blank=True, max_length=200)
    picture = serializers.BooleanField(required=False, help_text="They have a profile picture.")
    archived = serializers.BooleanField(required=False)
    pinned = serializers.BooleanField(required=False)
    mutedUntil = serializers.DateTimeField(source="muted_until", required=False, allow_null=True)

    def validate(self, attrs):
        if not attrs and type(self) is ContactStateSerializer:
            raise serializers.ValidationError("Give at least one field to set.")
        return attrs


class ContactStateOutputSerializer(ContactStateSerializer):
    phone = serializers.CharField()
    lid = serializers.SerializerMethodField()
    blocked = serializers.BooleanField(help_text="Blocked by the session (WPP.blocklist.blockContact).")

    def get_lid(self, contact) -> str:
        return sandbox_lid_of(contact.phone)


class HistoryItemSerializer(serializers.Serializer):
    text = serializers.CharField(required=False, allow_blank=True, default="", max_length=4096)
    fromMe = serializers.BooleanField(required=False, default=False, help_text="Sent by the session's phone.")
    minutesAgo = serializers.IntegerField(min_value=0, max_value=60 * 24 * 365, help_text="When it was sent.")
    type = serializers.ChoiceField(choices=["text", "image"], required=False, default="text")


class HistoryInputSerializer(serializers.Serializer):
    # A ListField: drf-spectacular documents its minItems/maxItems, not a many=True serializer's.
    messages = serializers.ListField(
        child=HistoryItemSerializer(), allow_empty=False, min_length=1, max_length=directory.HISTORY_MAX
    )


class HistoryOutputSerializer(serializers.Serializer):
    waMessageIds = serializers.ListField(child=serializers.CharField())


def _phone(value: str) -> str:
    return normalize_phone(value)


class SandboxContactApi(SandboxApi):
    @extend_schema(
        tags=TAG,
        summary="A simulated contact's profile and chat state",
        operation_id="sandbox_contact",
        parameters=[SESSION_ID, PHONE],
        description="As the session's WhatsApp sees them, with whether the session blocked them. 404 "
        "for someone the sandbox does not know yet.",
        responses={200: ContactStateOutputSerializer, **error_responses(400, 404)},
        examples=[STATE_ANSWER],
    )
    def get(self, request, session_id, phone):
        session = self.get_session(request, session_id)
        contact = SandboxContact.objects.filter(session=session, phone=_phone(phone)).first()
        if contact is None:
            raise NotFound("The sandbox knows no such contact yet.", details={"phone": phone})
        return Response(ContactStateOutputSerializer(contact).data)

    @extend_schema(
        tags=TAG,
        summary="Set a simulated contact's profile and chat state",
        operation_id="sandbox_contact_set",
        parameters=[SESSION_ID, PHONE],
        request=ContactStateSerializer,
        description="Makes the person a contact of the session's phone (if not yet) and sets what is "
        "given (at least one): names, business, about text, whether they have a profile picture, "
        "and their chat's archived, pinned and muted state. 400 `not_on_whatsapp` for a number "
        "ending in 0000.",
        responses={200: ContactStateOutputSerializer, **error_responses(400, 404)},
        examples=[
            OpenApiExample(
                "A saved business contact",
                value={"savedName": "Bakery", "business": True, "about": "Fresh bread", "picture": True},
                request_only=True,
            ),
            STATE_ANSWER,
        ],
    )
    def put(self, request, session_id, phone):
        session = self.get_session(request, session_id)
        body = ContactStateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        contact = directory.sandbox_contact_update(
            session=session, phone=_phone(phone), **body.validated_data
        )
        return Response(ContactStateOutputSerializer(contact).data)


class SandboxHistoryApi(SandboxApi):
    @extend_schema(
        tags=TAG,
        summary="Give a contact an earlier conversation",
        operation_id="sandbox_contact_history",
        parameters=[SESSION_ID, PHONE],
        request=HistoryInputSerializer,
        description="Messages exchanged with the contact before now, as if before the session was "
        "linked: the page gets no event for them, only `WPP.chat.getMessages` finds them (what "
        "`POST /api/v1/sessions/{id}/chats/{chatId}/sync` imports). `type` `image` attaches a picture.",
        responses={201: HistoryOutputSerializer, **error_responses(400, 404)},
        examples=[
            OpenApiExample(
                "Two messages",
                value={
                    "messages": [
                        {"text": "Hello!", "minutesAgo": 600},
                        {"text": "Hi, how are you?", "fromMe": True, "minutesAgo": 590},
                    ]
                },
                request_only=True,
            ),
            OpenApiExample(
                "Stored",
                value={
                    "waMessageIds": [
                        "false_33612345678@c.us_3A5F2C9B1D4E6F708192",
                        "true_33612345678@c.us_3EB0A1B2C3D4E5F60718",
                    ]
                },
                response_only=True,
                status_codes=["201"],
            ),
        ],
    )
    def post(self, request, session_id, phone):
        session = self.get_session(request, session_id)
        body = HistoryInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        made = directory.sandbox_add_history(
            session=session, phone=_phone(phone), messages=body.validated_data["messages"]
        )
        return Response({"waMessageIds": [m.wa_id for m in made]}, status=status.HTTP_201_CREATED)
