"""The sandbox API's groups and calls: simulated people create groups (with the session or not),
change their members and settings, write in them, and ring the session."""

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response

from sandbox.api.group_serializers import (
    SandboxCallInputSerializer,
    SandboxCallListSerializer,
    SandboxCallSerializer,
    SandboxGroupCreateSerializer,
    SandboxGroupListSerializer,
    SandboxGroupMembersOutputSerializer,
    SandboxGroupMembersSerializer,
    SandboxGroupMessageOutputSerializer,
    SandboxGroupMessageSerializer,
    SandboxGroupSerializer,
    SandboxGroupUpdateSerializer,
)
from sandbox.api.views import SESSION_ID, TAG, SandboxApi
from sandbox.calls import sandbox_ring
from sandbox.group_messages import sandbox_group_message
from sandbox.groups import (
    sandbox_group_change_members,
    sandbox_group_create,
    sandbox_group_update,
    sandbox_groups_state,
)
from sandbox.models import SandboxCall
from yesapp.schema import error_responses

GROUP_ID = OpenApiParameter("group_id", str, OpenApiParameter.PATH, description="`<digits>@g.us`.")
OWNER, MEMBER = "+4915112345678", "+4915187654321"
GROUP_EXAMPLE = {
    "id": "120363041234567890@g.us",
    "subject": "Team",
    "description": "",
    "owner": "4915112345678@c.us",
    "announce": False,
    "restrict": False,
    "lidAddressing": False,
    "inviteCode": "",
    "participants": [
        {"id": "4915112345678@c.us", "phone": OWNER, "role": "superadmin"},
        {"id": "4915187654321@c.us", "phone": MEMBER, "role": "member"},
        {"id": "33612345678@c.us", "phone": "+33612345678", "role": "member"},
    ],
}
CALL_EXAMPLE = {
    "id": "5B2A0C9F1E8D7C6B5A4F3E2D1C0B9A87",
    "caller": "4915187654321@c.us",
    "groupId": "",
    "video": True,
    "rejectedAt": None,
    "createdAt": "2026-11-27T10:00:00Z",
}


class SandboxGroupsApi(SandboxApi):
    @extend_schema(
        tags=TAG,
        summary="The sandbox's groups",
        operation_id="sandbox_groups",
        parameters=[SESSION_ID],
        description="Every group of this sandbox, with the session in it or not, as WhatsApp holds it.",
        responses={200: SandboxGroupListSerializer, **error_responses(404)},
        examples=[OpenApiExample("One group", value={"items": [GROUP_EXAMPLE]}, response_only=True)],
    )
    def get(self, request, session_id):
        session = self.get_session(request, session_id)
        return Response(SandboxGroupListSerializer({"items": sandbox_groups_state(session=session)}).data)

    @extend_schema(
        tags=TAG,
        summary="A simulated person creates a group",
        operation_id="sandbox_group_create",
        parameters=[SESSION_ID],
        description=(
            "`owner` creates a group with `participants` and, unless `withSession` is false, the "
            "session: its page then fires `group.participant_changed` (`add`). Numbers ending "
            "`0000` are not on WhatsApp and are left out. With `lidAddressing`, members appear by lid."
        ),
        request=SandboxGroupCreateSerializer,
        responses={201: SandboxGroupSerializer, **error_responses(400, 404, 409)},
        examples=[
            OpenApiExample("Created", value=GROUP_EXAMPLE, response_only=True, status_codes=["201"]),
            OpenApiExample(
                "A group with the session",
                value={"owner": OWNER, "subject": "Team", "participants": [MEMBER]},
                request_only=True,
            ),
        ],
    )
    def post(self, request, session_id):
        session = self.get_session(request, session_id)
        body = SandboxGroupCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        group = sandbox_group_create(
            session=session,
            owner=data["owner"],
            subject=data["subject"],
            members=data["participants"],
            with_session=data["withSession"],
            lid_addressing=data["lidAddressing"],
        )
        return Response(SandboxGroupSerializer(group).data, status=status.HTTP_201_CREATED)


class SandboxGroupApi(SandboxApi):
    @extend_schema(
        tags=TAG,
        summary="A member changes a group's info",
        operation_id="sandbox_group_update",
        parameters=[SESSION_ID, GROUP_ID],
        description=(
            "Subject, description, who may send (`announce`) or edit (`restrict`); "
            "admins only where WhatsApp says so."
        ),
        request=SandboxGroupUpdateSerializer,
        responses={200: SandboxGroupSerializer, **error_responses(400, 404, 409)},
        examples=[
            OpenApiExample("Admins only", value={"by": OWNER, "announce": True}, request_only=True),
            OpenApiExample("Changed", value={**GROUP_EXAMPLE, "announce": True}, response_only=True),
        ],
    )
    def patch(self, request, session_id, group_id):
        session = self.get_session(request, session_id)
        body = SandboxGroupUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        changes = dict(body.validated_data)
        by = changes.pop("by")
        group = sandbox_group_update(session=session, gid=group_id, by=by, changes=changes)
        return Response(SandboxGroupSerializer(group).data)


class SandboxGroupMembersApi(SandboxApi):
    @extend_schema(
        tags=TAG,
        summary="An admin adds, removes, promotes or demotes members",
        operation_id="sandbox_group_members",
        parameters=[SESSION_ID, GROUP_ID],
        description=(
            "The session's own number may be among them (adding it to a group, removing it). "
            "The page fires `group.participant_changed` for what changed."
        ),
        request=SandboxGroupMembersSerializer,
        responses={200: SandboxGroupMembersOutputSerializer, **error_responses(400, 404, 409)},
        examples=[
            OpenApiExample(
                "Add the session",
                value={"by": OWNER, "action": "add", "participants": ["+33612345678"]},
                request_only=True,
            ),
            OpenApiExample(
                "Added",
                value={"results": {"+33612345678": {"code": 200, "message": "added"}}},
                response_only=True,
            ),
        ],
    )
    def post(self, request, session_id, group_id):
        session = self.get_session(request, session_id)
        body = SandboxGroupMembersSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        results = sandbox_group_change_members(
            session=session, gid=group_id, by=data["by"], action=data["action"], members=data["participants"]
        )
        return Response({"results": results})


class SandboxGroupMessageApi(SandboxApi):
    @extend_schema(
        tags=TAG,
        summary="A member writes in a group",
        operation_id="sandbox_group_message",
        parameters=[SESSION_ID, GROUP_ID],
        request=SandboxGroupMessageSerializer,
        responses={201: SandboxGroupMessageOutputSerializer, **error_responses(400, 404, 409)},
        examples=[
            OpenApiExample("Hello", value={"from": MEMBER, "text": "Hello all"}, request_only=True),
            OpenApiExample(
                "Sent",
                value={
                    "id": "false_120363041234567890@g.us_3A1B2C3D4E5F6A7B8C9D_4915187654321@c.us",
                    "author": "4915187654321@c.us",
                },
                response_only=True,
                status_codes=["201"],
            ),
        ],
    )
    def post(self, request, session_id, group_id):
        session = self.get_session(request, session_id)
        body = SandboxGroupMessageSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        message = sandbox_group_message(
            session=session, gid=group_id, from_phone=data["from"], text=data["text"], name=data["name"]
        )
        return Response({"id": message.wa_id, "author": message.author}, status=status.HTTP_201_CREATED)


class SandboxCallsApi(SandboxApi):
    @extend_schema(
        tags=TAG,
        summary="Calls that rang the session",
        operation_id="sandbox_calls",
        parameters=[SESSION_ID],
        description="Newest first, with `rejectedAt` once the session rejected it (WPP.call.reject).",
        responses={200: SandboxCallListSerializer, **error_responses(404)},
        examples=[OpenApiExample("One call", value={"items": [CALL_EXAMPLE]}, response_only=True)],
    )
    def get(self, request, session_id):
        session = self.get_session(request, session_id)
        calls = SandboxCall.objects.filter(session=session)[:100]
        return Response(SandboxCallListSerializer({"items": calls}).data)

    @extend_schema(
        tags=TAG,
        summary="A simulated person rings the session",
        operation_id="sandbox_call",
        parameters=[SESSION_ID],
        description=(
            "Voice or video, from a group call when `groupId` is given; the page fires `call.incoming_call`."
        ),
        request=SandboxCallInputSerializer,
        responses={201: SandboxCallSerializer, **error_responses(400, 404, 409)},
        examples=[
            OpenApiExample("Video call", value={"from": MEMBER, "video": True}, request_only=True),
            OpenApiExample("Ringing", value=CALL_EXAMPLE, response_only=True, status_codes=["201"]),
        ],
    )
    def post(self, request, session_id):
        session = self.get_session(request, session_id)
        body = SandboxCallInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        call = sandbox_ring(
            session=session, from_phone=data["from"], video=data["video"], group_id=data["groupId"]
        )
        return Response(SandboxCallSerializer(call).data, status=status.HTTP_201_CREATED)
