"""The groups API: thin views over groups/services.py. Every operation asks the session's
WhatsApp Web page: 409 `session_not_connected` when the session is not connected, 504
`engine_timeout` when the page does not answer within GROUPS_QUERY_TIMEOUT."""

import re

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from groups import services
from groups.api import serializers as s
from sessions_app.selectors import session_get_for_key
from yesapp.errors import InvalidInput
from yesapp.schema import error_responses

TAG = ["Groups"]
SESSION_ID = OpenApiParameter("session_id", OpenApiTypes.UUID, OpenApiParameter.PATH)
_GROUP_ID_PATTERN = r"^\d{5,20}(-\d{5,20})?@g\.us$"
_GROUP_ID = re.compile(_GROUP_ID_PATTERN)
GROUP_ID = OpenApiParameter(
    "group_id",
    {"type": "string", "pattern": _GROUP_ID_PATTERN},
    OpenApiParameter.PATH,
    description="The group's id, `<digits>@g.us`.",
)
ASKS = (
    " Asked of the session's WhatsApp Web: 409 `session_not_connected` when the session is not "
    "connected, 504 `engine_timeout` when the page does not answer within `GROUPS_QUERY_TIMEOUT`."
)
ADMIN = " Admins only: 403 `not_group_admin` otherwise."
UNKNOWN = " 404 `group_not_found` when the session is not in that group."
GROUP_EXAMPLE = {
    "id": "120363041234567890@g.us",
    "subject": "Team",
    "description": "Weekly planning",
    "owner": {"phone": "+33612345678", "lid": "123456789012345@lid"},
    "participants": [
        {"phone": "+33612345678", "lid": "123456789012345@lid", "role": "superadmin"},
        {"phone": None, "lid": "987654321098765@lid", "role": "member"},
    ],
    "settings": {
        "whoCanSend": "all",
        "whoCanEdit": "admins",
        "whoCanAdd": "admins",
        "approvalRequired": False,
    },
    "createdAt": "2026-11-27T10:00:00Z",
}

CREATED_EXAMPLE = {
    **GROUP_EXAMPLE,
    "participantResults": [
        {"participant": {"phone": "+33698765432", "lid": None}, "status": "added", "inviteCode": None},
    ],
}
INVITE_EXAMPLE = {
    "groupId": "120363041234567890@g.us",
    "code": "Fa3kQ0pLmN8xYz12AbCdEf",
    "link": "https://chat.whatsapp.com/Fa3kQ0pLmN8xYz12AbCdEf",
}


def _group_id(value: str) -> str:
    if not _GROUP_ID.match(value or ""):
        raise InvalidInput(
            f"{value!r} is not a group id; group ids look like 120363041234567890@g.us.",
            code="invalid_group_id",
            details={"groupId": value},
        )
    return value


class GroupsApi(APIView):
    @extend_schema(
        tags=TAG,
        summary="The session's groups",
        operation_id="groups_list",
        parameters=[SESSION_ID],
        description=(
            "Every group the session is in, with members as `{phone, lid, role}` (the phone is null when "
            "WhatsApp hides it). Reused for `GROUPS_CACHE_SECONDS`; any change drops it." + ASKS
        ),
        responses={200: s.GroupListSerializer, **error_responses(404, 409, 503, 504)},
        examples=[
            OpenApiExample("One group", value={"items": [GROUP_EXAMPLE], "total": 1}, response_only=True)
        ],
    )
    def get(self, request, session_id):
        session = session_get_for_key(key=request.auth, session_id=session_id)
        groups = services.group_list(session=session)
        return Response(s.GroupListSerializer({"items": groups, "total": len(groups)}).data)

    @extend_schema(
        tags=TAG,
        summary="Create a group",
        operation_id="groups_create",
        parameters=[SESSION_ID],
        description=(
            "The session creates a group and is its owner (wa-js `WPP.group.create`); answers 201 with "
            "the group as GET shows it, plus what happened to each person asked for (`invited` when "
            "their privacy setting let WhatsApp only send them an invitation). Emits `group.joined`." + ASKS
        ),
        request=s.GroupCreateInputSerializer,
        responses={201: s.GroupCreateOutputSerializer, **error_responses(400, 404, 409, 422, 503, 504)},
        examples=[
            OpenApiExample(
                "A group of two",
                value={"subject": "Team", "participants": ["+33698765432"]},
                request_only=True,
            ),
            OpenApiExample("Created", value=CREATED_EXAMPLE, response_only=True, status_codes=["201"]),
        ],
    )
    def post(self, request, session_id):
        session = session_get_for_key(key=request.auth, session_id=session_id)
        body = s.GroupCreateInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        group, results = services.group_create(session=session, **body.validated_data)
        output = s.GroupCreateOutputSerializer({**group, "participantResults": results}).data
        return Response(output, status=status.HTTP_201_CREATED)


class GroupApi(APIView):
    @extend_schema(
        tags=TAG,
        summary="One group",
        operation_id="groups_get",
        parameters=[SESSION_ID, GROUP_ID],
        description="Subject, description, owner, members with their roles, and who may send or edit."
        + UNKNOWN
        + ASKS,
        responses={200: s.GroupSerializer, **error_responses(400, 404, 409, 503, 504)},
        examples=[OpenApiExample("A group", value=GROUP_EXAMPLE, response_only=True)],
    )
    def get(self, request, session_id, group_id):
        session = session_get_for_key(key=request.auth, session_id=session_id)
        return Response(
            s.GroupSerializer(services.group_get(session=session, group_id=_group_id(group_id))).data
        )

    @extend_schema(
        tags=TAG,
        summary="Change a group's subject, description or settings",
        operation_id="groups_update",
        parameters=[SESSION_ID, GROUP_ID],
        description=(
            "`whoCanSend: admins` makes it an announcement group, `whoCanEdit: admins` lets only admins "
            "change its info (wa-js `setSubject`, `setDescription`, `setProperty`). Emits `group.updated`."
            + ADMIN
            + UNKNOWN
            + ASKS
        ),
        request=s.GroupUpdateInputSerializer,
        responses={200: s.GroupSerializer, **error_responses(400, 403, 404, 409, 422, 503, 504)},
        examples=[
            OpenApiExample("Rename", value={"subject": "Team 2027"}, request_only=True),
            OpenApiExample("Renamed", value={**GROUP_EXAMPLE, "subject": "Team 2027"}, response_only=True),
        ],
    )
    def patch(self, request, session_id, group_id):
        session = session_get_for_key(key=request.auth, session_id=session_id)
        body = s.GroupUpdateInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        group = services.group_update(
            session=session, group_id=_group_id(group_id), changes=body.validated_data
        )
        return Response(s.GroupSerializer(group).data)


class GroupParticipantsApi(APIView):
    @extend_schema(
        tags=TAG,
        summary="Add, remove, promote or demote members",
        operation_id="groups_participants",
        parameters=[SESSION_ID, GROUP_ID],
        description=(
            "Exactly one of `add`, `remove`, `promote`, `demote`, with up to 50 people (E.164 numbers or "
            "lids; a lid can be added only when its number is known). Answers what happened to each. "
            "The changes come back as `group.participants` webhooks." + ADMIN + UNKNOWN + ASKS
        ),
        request=s.ParticipantsInputSerializer,
        responses={200: s.ParticipantsOutputSerializer, **error_responses(400, 403, 404, 409, 422, 503, 504)},
        examples=[
            OpenApiExample("Add two", value={"add": ["+33612345678", "+33698765432"]}, request_only=True),
            OpenApiExample(
                "Answers",
                value={
                    "action": "add",
                    "results": [
                        {
                            "participant": {"phone": "+33612345678", "lid": None},
                            "status": "added",
                            "inviteCode": None,
                        },
                        {
                            "participant": {"phone": "+33698765432", "lid": None},
                            "status": "invited",
                            "inviteCode": "Fa3kQ0pLmN8xYz12AbCdEf",
                        },
                    ],
                },
                response_only=True,
            ),
        ],
    )
    def post(self, request, session_id, group_id):
        session = session_get_for_key(key=request.auth, session_id=session_id)
        body = s.ParticipantsInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        action, people = body.validated_data["action"], body.validated_data["people"]
        results = services.group_participants_change(
            session=session, group_id=_group_id(group_id), action=action, people=people
        )
        return Response(s.ParticipantsOutputSerializer({"action": action, "results": results}).data)


class GroupInviteApi(APIView):
    @extend_schema(
        tags=TAG,
        summary="The group's invite link",
        operation_id="groups_invite",
        parameters=[SESSION_ID, GROUP_ID],
        description="Its invite code and link (wa-js `getInviteCode`)." + ADMIN + UNKNOWN + ASKS,
        responses={200: s.InviteSerializer, **error_responses(400, 403, 404, 409, 422, 503, 504)},
        examples=[OpenApiExample("The link", value=INVITE_EXAMPLE, response_only=True)],
    )
    def get(self, request, session_id, group_id):
        session = session_get_for_key(key=request.auth, session_id=session_id)
        invite = services.group_invite(session=session, group_id=_group_id(group_id))
        return Response(s.InviteSerializer(invite).data)

    @extend_schema(
        tags=TAG,
        summary="Revoke the invite link",
        operation_id="groups_invite_revoke",
        parameters=[SESSION_ID, GROUP_ID],
        description="The old link stops working; answers the new one (wa-js `revokeInviteCode`)."
        + ADMIN
        + ASKS,
        responses={200: s.InviteSerializer, **error_responses(400, 403, 404, 409, 422, 503, 504)},
        examples=[OpenApiExample("The link", value=INVITE_EXAMPLE, response_only=True)],
    )
    def delete(self, request, session_id, group_id):
        session = session_get_for_key(key=request.auth, session_id=session_id)
        invite = services.group_invite(session=session, group_id=_group_id(group_id), revoke=True)
        return Response(s.InviteSerializer(invite).data)


class GroupJoinApi(APIView):
    @extend_schema(
        tags=TAG,
        summary="Join a group by invite",
        operation_id="groups_join",
        parameters=[SESSION_ID],
        description=(
            "With an invite code or a https://chat.whatsapp.com/ link (wa-js `WPP.group.join`); 404 "
            "`invalid_invite_code` when WhatsApp does not know it. `group.joined` follows." + ASKS
        ),
        request=s.JoinInputSerializer,
        responses={200: s.JoinOutputSerializer, **error_responses(400, 404, 409, 422, 503, 504)},
        examples=[
            OpenApiExample(
                "A link",
                value={"code": "https://chat.whatsapp.com/Fa3kQ0pLmN8xYz12AbCdEf"},
                request_only=True,
            ),
            OpenApiExample(
                "Joined",
                value={"groupId": INVITE_EXAMPLE["groupId"], "pendingApproval": False},
                response_only=True,
            ),
        ],
    )
    def post(self, request, session_id):
        session = session_get_for_key(key=request.auth, session_id=session_id)
        body = s.JoinInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return Response(
            s.JoinOutputSerializer(
                services.group_join(session=session, code=body.validated_data["code"])
            ).data
        )


class GroupLeaveApi(APIView):
    @extend_schema(
        tags=TAG,
        summary="Leave a group",
        operation_id="groups_leave",
        parameters=[SESSION_ID, GROUP_ID],
        description="wa-js `WPP.group.leave`; `group.left` follows." + UNKNOWN + ASKS,
        request=None,
        responses={204: None, **error_responses(400, 404, 409, 422, 503, 504)},
    )
    def post(self, request, session_id, group_id):
        session = session_get_for_key(key=request.auth, session_id=session_id)
        services.group_leave(session=session, group_id=_group_id(group_id))
        return Response(status=status.HTTP_204_NO_CONTENT)
