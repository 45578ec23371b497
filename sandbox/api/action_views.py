"""The sandbox API's message actions: a contact reacts to, deletes or edits a message, or votes
in a poll (the session gets `chat.new_reaction`, `chat.msg_revoke`, `chat.msg_edited`,
`chat.poll_response`), and what both phones
show of a message (what the session did to it through the API)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response

from sandbox import actions
from sandbox.api.action_serializers import (
    ActionOutputSerializer,
    ContactEditInputSerializer,
    ContactPresenceInputSerializer,
    ContactReactInputSerializer,
    ContactVoteInputSerializer,
    PhoneChatSerializer,
    PhoneMessageSerializer,
)
from sandbox.api.views import SESSION_ID, TAG, SandboxApi
from yesapp.schema import error_responses

MSG_ID = OpenApiParameter(
    "msg_id", OpenApiTypes.STR, OpenApiParameter.PATH, description="The WhatsApp message id (`waMessageId`)."
)
CHAT_ID = OpenApiParameter("chat_id", OpenApiTypes.STR, OpenApiParameter.PATH, description="`<digits>@c.us`.")
ACCEPTED = OpenApiExample("Accepted", value={"cursor": 14}, response_only=True, status_codes=["202"])
_LINKED = " 404 `msg_not_found` for a message the sandbox does not have; 409 when the phone is not linked."


def _accepted(cursor: int) -> Response:
    return Response({"cursor": cursor}, status=status.HTTP_202_ACCEPTED)


class SandboxContactReactApi(SandboxApi):
    @extend_schema(
        tags=TAG,
        summary="The contact reacts to a message",
        operation_id="sandbox_contact_react",
        parameters=[SESSION_ID, MSG_ID],
        request=ContactReactInputSerializer,
        description=(
            "The chat's contact reacts to a message, theirs or the session's; an empty emoji takes the "
            "reaction back. The session gets `chat.new_reaction` (your webhook, `message.reaction`)."
            + _LINKED
        ),
        responses={202: ActionOutputSerializer, **error_responses(400, 404, 409)},
        examples=[OpenApiExample("React", value={"emoji": "❤️"}, request_only=True), ACCEPTED],
    )
    def post(self, request, session_id, msg_id):
        session = self.get_session(request, session_id)
        data = ContactReactInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return _accepted(actions.sandbox_contact_react(session=session, wa_id=msg_id, **data.validated_data))


class SandboxContactRevokeApi(SandboxApi):
    @extend_schema(
        tags=TAG,
        summary="The contact deletes their message for everyone",
        operation_id="sandbox_contact_revoke",
        parameters=[SESSION_ID, MSG_ID],
        request=None,
        description=(
            "The contact deletes one of their own messages for everyone; the session gets "
            "`chat.msg_revoke` (your webhook, `message.revoked`). 409 `not_own_message` for a message "
            "the session sent, `already_revoked` the second time." + _LINKED
        ),
        responses={202: ActionOutputSerializer, **error_responses(400, 404, 409)},
        examples=[ACCEPTED],
    )
    def post(self, request, session_id, msg_id):
        session = self.get_session(request, session_id)
        return _accepted(actions.sandbox_contact_revoke(session=session, wa_id=msg_id))


class SandboxContactVoteApi(SandboxApi):
    @extend_schema(
        tags=TAG,
        summary="The contact votes in a poll",
        operation_id="sandbox_contact_vote",
        parameters=[SESSION_ID, MSG_ID],
        request=ContactVoteInputSerializer,
        description=(
            "The chat's contact votes in a poll, theirs or the session's, choosing options by name (one "
            "at most in a single-choice poll; [] takes the vote back). The session gets "
            "`chat.poll_response` (your webhook, `poll.vote`). 400 `unknown_option`, "
            "`single_choice_poll`; 409 `not_a_poll`." + _LINKED
        ),
        responses={202: ActionOutputSerializer, **error_responses(400, 404, 409)},
        examples=[OpenApiExample("Vote", value={"options": ["Pizza"]}, request_only=True), ACCEPTED],
    )
    def post(self, request, session_id, msg_id):
        session = self.get_session(request, session_id)
        data = ContactVoteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return _accepted(actions.sandbox_contact_vote(session=session, wa_id=msg_id, **data.validated_data))


class SandboxContactEditApi(SandboxApi):
    @extend_schema(
        tags=TAG,
        summary="The contact edits their message",
        operation_id="sandbox_contact_edit",
        parameters=[SESSION_ID, MSG_ID],
        request=ContactEditInputSerializer,
        description=(
            "The contact edits one of their text messages, within WhatsApp's 15 minutes; the session gets "
            "`chat.msg_edited` (your webhook, `message.edited`). 409 `not_own_message` or `not_editable` "
            "otherwise." + _LINKED
        ),
        responses={202: ActionOutputSerializer, **error_responses(400, 404, 409)},
        examples=[OpenApiExample("New text", value={"text": "Open on Sunday?"}, request_only=True), ACCEPTED],
    )
    def post(self, request, session_id, msg_id):
        session = self.get_session(request, session_id)
        data = ContactEditInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return _accepted(actions.sandbox_contact_edit(session=session, wa_id=msg_id, **data.validated_data))


class SandboxPhoneMessageApi(SandboxApi):
    @extend_schema(
        tags=TAG,
        summary="A message as the phones show it",
        operation_id="sandbox_message",
        parameters=[SESSION_ID, MSG_ID],
        description=(
            "A message in either direction with what was done to it: reactions (the session's and the "
            "contact's), earlier texts, and whether it was deleted for everyone or on the linked device "
            "only. 404 `msg_not_found` for a message the sandbox does not have."
        ),
        responses={200: PhoneMessageSerializer, **error_responses(400, 404)},
        examples=[
            OpenApiExample(
                "Reacted to and edited",
                value={
                    "id": "true_33612345678@c.us_3EB0A1B2C3D4E5F6A7B8",
                    "chatId": "33612345678@c.us",
                    "fromMe": True,
                    "type": "text",
                    "text": "See you at 10",
                    "reactions": {"33612345678@c.us": "👍"},
                    "edits": ["See you at 9"],
                    "editedAt": "2026-11-27T10:01:00Z",
                    "revokedAt": None,
                    "deletedOnDeviceAt": None,
                },
                response_only=True,
            )
        ],
    )
    def get(self, request, session_id, msg_id):
        session = self.get_session(request, session_id)
        message = actions.sandbox_phone_message(session=session, wa_id=msg_id)
        return Response(PhoneMessageSerializer(message).data)


_NONE = {"seconds": None, "messages": None, "from": None, "msgId": None, "text": None}
THEIRS, OURS = "false_33612345678@c.us_3A1F", "true_33612345678@c.us_3EB0C2"
TIMELINE_EXAMPLE = [
    {**_NONE, "kind": "message", "at": "2026-11-27T10:05:00Z", "from": "contact", "msgId": THEIRS},
    {**_NONE, "kind": "read", "at": "2026-11-27T10:05:02.4Z", "messages": 1},
    {**_NONE, "kind": "typing", "at": "2026-11-27T10:05:02.9Z", "seconds": 2.6},
    {**_NONE, "kind": "message", "at": "2026-11-27T10:05:05.5Z", "from": "session", "msgId": OURS},
    {**_NONE, "kind": "typing", "at": "2026-11-27T10:06:00Z"},
]
TIMELINE_EXAMPLE[0]["text"], TIMELINE_EXAMPLE[3]["text"] = "Open today?", "Yes, until 7 pm."


class SandboxPhoneChatApi(SandboxApi):
    @extend_schema(
        tags=TAG,
        summary="A chat as the contact's phone shows it",
        operation_id="sandbox_chat",
        parameters=[SESSION_ID, CHAT_ID],
        description=(
            "What the contact sees of the session in this chat: its presence (`typing`, `recording`, "
            "`paused`: the last one shown, kept as is), how many of the contact's messages it has not "
            "read, and the `timeline` the contact's phone saw: each message, each read (blue ticks) and "
            "each presence with how long it showed, so pacing (docs/ANTI_BAN.md) can be checked. 404 "
            "`chat_not_found` for a chat the sandbox does not have."
        ),
        responses={200: PhoneChatSerializer, **error_responses(400, 404)},
        examples=[
            OpenApiExample(
                "Typing",
                value={
                    "chatId": "33612345678@c.us",
                    "presence": "typing",
                    "presenceAt": "2026-11-27T10:06:00Z",
                    "unreadBySession": 0,
                    "timeline": TIMELINE_EXAMPLE,
                },
                response_only=True,
            )
        ],
    )
    def get(self, request, session_id, chat_id):
        session = self.get_session(request, session_id)
        return Response(
            PhoneChatSerializer(actions.sandbox_phone_chat(session=session, chat_id=chat_id)).data
        )


class SandboxContactPresenceApi(SandboxApi):
    @extend_schema(
        tags=TAG,
        summary="The contact types or records",
        operation_id="sandbox_contact_presence",
        parameters=[SESSION_ID, CHAT_ID],
        request=ContactPresenceInputSerializer,
        description=(
            "The chat's contact shows `typing`, `recording` or `paused`; the session gets "
            "`chat.presence_change` (your webhook, `chat.presence`, when it asks for it). 404 "
            "`chat_not_found` for a chat the sandbox does not have; 409 when the phone is not linked."
        ),
        responses={202: ActionOutputSerializer, **error_responses(400, 404, 409)},
        examples=[OpenApiExample("Typing", value={"state": "typing"}, request_only=True), ACCEPTED],
    )
    def post(self, request, session_id, chat_id):
        session = self.get_session(request, session_id)
        data = ContactPresenceInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return _accepted(
            actions.sandbox_contact_presence(session=session, chat_id=chat_id, **data.validated_data)
        )
