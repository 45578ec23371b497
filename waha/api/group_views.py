"""WAHA's group calls over YesApp's groups app (groups.services): the same page commands,
bounded waits, cache and group events as /api/v1/sessions/{id}/groups."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response

from groups import services as groups
from waha.api import serializers as s
from waha.api.base import TAG, WahaView, waha_errors
from waha.api.session_views import SESSION_PARAM
from waha.shapes import wa_group
from yesapp.validators import phone_from_chat_id

GROUP_PARAM = OpenApiParameter("id", OpenApiTypes.STR, OpenApiParameter.PATH, description="`<id>@g.us`")
GROUP_ERRORS = waha_errors(403, 404, 409, 422, 503, 504)


def _people(participants: list[dict]) -> list[str]:
    """WAHA's `[{id}]` as YesApp's people: an E.164 number for `@c.us`, a lid as it is."""
    return [phone_from_chat_id(p["id"]) or p["id"] for p in participants]


GROUP = "120363041234567890@g.us"
GROUP_EXAMPLE = {
    "id": GROUP,
    "subject": "Team",
    "description": "",
    "owner": "33612345678@c.us",
    "participants": [
        {"id": "33612345678@c.us", "isAdmin": True, "isSuperAdmin": True},
        {"id": "33698765432@c.us", "isAdmin": False, "isSuperAdmin": False},
    ],
    "announce": False,
    "restrict": False,
    "creation": 1764568800,
}
PEOPLE_EXAMPLE = {"participants": [{"id": "33698765432@c.us"}]}
_EXAMPLES = {
    "list": (None, GROUP_EXAMPLE),  # a list answer: drf-spectacular shows the item in a list
    "create": ({"name": "Team", "participants": [{"id": "33698765432@c.us"}]}, GROUP_EXAMPLE),
    "get": (None, GROUP_EXAMPLE),
    "leave": (None, {}),
    "join": ({"code": "https://chat.whatsapp.com/Fq3Hk1pW2xY7zQ9rT5uV8m"}, {"id": GROUP}),
    "invite_code": (None, "Fq3Hk1pW2xY7zQ9rT5uV8m"),
    "invite_code_revoke": (None, "Hx8Lm2nQ4rS6tU8vW0yZ1a"),
    "subject": ({"subject": "Team (new)"}, {}),
    "description": ({"description": "Orders and deliveries"}, {}),
    "messages_admin_only": ({"adminsOnly": True}, {}),
    "info_admin_only": ({"adminsOnly": True}, {}),
    "participants": (PEOPLE_EXAMPLE, {"id": "33698765432@c.us", "status": "added"}),
}


def _examples(name: str, code: int) -> list[OpenApiExample]:
    request, answer = _EXAMPLES[name]
    examples = [OpenApiExample("Answer", value=answer, response_only=True, status_codes=[str(code)])]
    if request is not None:
        examples.insert(0, OpenApiExample("Request", value=request, request_only=True))
    return examples


def _schema(name: str, summary: str, *, body=None, answer=None, code: int = 200, group: bool = True):
    return extend_schema(
        tags=TAG,
        operation_id=f"waha_groups_{name}",
        summary=f"{summary} (WAHA)",
        description=f"{summary}, through YesApp's groups (the session's page, WPP.group.*). 422 when "
        "the session is not WORKING; 403 when the session is not an admin where that is needed.",
        parameters=[SESSION_PARAM, *([GROUP_PARAM] if group else [])],
        request=body,
        responses={code: answer or s.WahaEmptySerializer, **GROUP_ERRORS},
        examples=_examples(name, code),
    )


class GroupsApi(WahaView):
    @_schema("list", "The session's groups", answer=s.WahaGroupSerializer(many=True), group=False)
    def get(self, request, session):
        return Response([wa_group(group) for group in groups.group_list(session=self.session_named(session))])

    @_schema(
        "create",
        "Create a group",
        body=s.WahaGroupCreateSerializer,
        answer=s.WahaGroupSerializer,
        code=201,
        group=False,
    )
    def post(self, request, session):
        found = self.session_named(session)
        data = s.WahaGroupCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        group, _ = groups.group_create(
            session=found,
            subject=data.validated_data["name"],
            participants=_people(data.validated_data["participants"]),
        )
        return Response(wa_group(group), status=status.HTTP_201_CREATED)


class GroupApi(WahaView):
    @_schema("get", "A group", answer=s.WahaGroupSerializer)
    def get(self, request, session, id):
        return Response(wa_group(groups.group_get(session=self.session_named(session), group_id=id)))


class GroupLeaveApi(WahaView):
    @_schema("leave", "Leave a group", code=201)
    def post(self, request, session, id):
        groups.group_leave(session=self.session_named(session), group_id=id)
        return Response({}, status=status.HTTP_201_CREATED)


class GroupJoinApi(WahaView):
    @_schema("join", "Join a group by invite code", body=s.WahaJoinSerializer, code=201, group=False)
    def post(self, request, session):
        found = self.session_named(session)
        data = s.WahaJoinSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        joined = groups.group_join(session=found, code=data.validated_data["code"])
        return Response({"id": joined["groupId"]}, status=status.HTTP_201_CREATED)


class GroupInviteCodeApi(WahaView):
    @_schema("invite_code", "A group's invite code", answer=OpenApiTypes.STR)
    def get(self, request, session, id):
        return Response(groups.group_invite(session=self.session_named(session), group_id=id)["code"])


class GroupInviteRevokeApi(WahaView):
    @_schema("invite_code_revoke", "A new invite code (the old one stops working)", answer=OpenApiTypes.STR)
    def post(self, request, session, id):
        found = self.session_named(session)
        return Response(groups.group_invite(session=found, group_id=id, revoke=True)["code"])


class GroupFieldApi(WahaView):
    """PUT of one group setting: `field` in WAHA's body, `change` maps it to YesApp's."""

    input = s.WahaSubjectSerializer
    field = "subject"

    def change(self, value) -> dict:
        return {self.field: value}

    def put(self, request, session, id):
        found = self.session_named(session)
        data = self.input(data=request.data)
        data.is_valid(raise_exception=True)
        groups.group_update(session=found, group_id=id, changes=self.change(data.validated_data[self.field]))
        return Response({})


class GroupSubjectApi(GroupFieldApi):
    @_schema("subject", "Set a group's subject", body=s.WahaSubjectSerializer)
    def put(self, request, session, id):
        return super().put(request, session, id)


class GroupDescriptionApi(GroupFieldApi):
    input, field = s.WahaDescriptionSerializer, "description"

    @_schema("description", "Set a group's description", body=s.WahaDescriptionSerializer)
    def put(self, request, session, id):
        return super().put(request, session, id)


class GroupMessagesAdminOnlyApi(GroupFieldApi):
    input, field = s.WahaAdminsOnlySerializer, "adminsOnly"

    def change(self, value):
        return {"whoCanSend": "admins" if value else "all"}

    @_schema("messages_admin_only", "Only admins may send", body=s.WahaAdminsOnlySerializer)
    def put(self, request, session, id):
        return super().put(request, session, id)


class GroupInfoAdminOnlyApi(GroupFieldApi):
    input, field = s.WahaAdminsOnlySerializer, "adminsOnly"

    def change(self, value):
        return {"whoCanEdit": "admins" if value else "all"}

    @_schema("info_admin_only", "Only admins may edit the group's info", body=s.WahaAdminsOnlySerializer)
    def put(self, request, session, id):
        return super().put(request, session, id)


class GroupParticipantsApi(WahaView):
    action = "add"

    def post(self, request, session, id):
        found = self.session_named(session)
        data = s.WahaParticipantsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        outcomes = groups.group_participants_change(
            session=found,
            group_id=id,
            action=self.action,
            people=_people(data.validated_data["participants"]),
        )
        return Response([{"id": _outcome_id(o), "status": o["status"]} for o in outcomes])


def _participants_view(action: str, summary: str) -> type[GroupParticipantsApi]:
    @extend_schema(
        tags=TAG,
        operation_id=f"waha_groups_participants_{action}",
        summary=f"{summary} (WAHA)",
        description=f"{summary}: one outcome per person (`added`, `invited`, `not_member`...). "
        "Needs the session to be a group admin (403).",
        parameters=[SESSION_PARAM, GROUP_PARAM],
        request=s.WahaParticipantsSerializer,
        responses={200: s.WahaParticipantOutcomeSerializer(many=True), **GROUP_ERRORS},
        examples=_examples("participants", 200),
    )
    def post(self, request, session, id):
        return GroupParticipantsApi.post(self, request, session, id)

    return type(f"Group{action.title()}Api", (GroupParticipantsApi,), {"action": action, "post": post})


PARTICIPANT_VIEWS = {
    "participants/add": _participants_view("add", "Add people to a group"),
    "participants/remove": _participants_view("remove", "Remove people from a group"),
    "admin/promote": _participants_view("promote", "Make people group admins"),
    "admin/demote": _participants_view("demote", "Make admins plain members"),
}


def _outcome_id(outcome: dict) -> str | None:
    return f"{outcome['phone'].lstrip('+')}@c.us" if outcome.get("phone") else outcome.get("lid")
