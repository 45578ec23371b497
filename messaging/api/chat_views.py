"""Acting on a chat: mark it read, show typing or recording. Queued and sent like the actions
on a message (messaging.actions); each answers 202 with the action."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework.views import APIView

from messaging import actions
from messaging.api.action_serializers import PresenceInputSerializer
from messaging.api.action_views import ACTION_ERRORS, ACTION_EXAMPLE, QUEUED, accepted
from sessions_app.selectors import session_get_for_key
from yesapp.validators import RECIPIENT_SCHEMA

TAG = ["Messages"]
PATH_PARAMS = [
    OpenApiParameter("session_id", OpenApiTypes.UUID, OpenApiParameter.PATH),
    OpenApiParameter(
        "chat_id",
        RECIPIENT_SCHEMA,
        OpenApiParameter.PATH,
        description="A chat id (`33612345678@c.us`, `...@g.us`) or an E.164 number.",
    ),
]
_RULES = (
    "\n\nQueued behind the session's messages and counted by its rate limit, like every action; the "
    "answer is **202** with the action (`status` `queued`, then `sent` or `failed`). 400 for a chat id "
    "that is neither a chat id nor a number; 409 `session_not_connected`; 429 `queue_full`."
)


def _chat_example(action: str, text: str) -> OpenApiExample:
    value = {**ACTION_EXAMPLE, "type": action, "action": action, "text": text, "targetMessageId": None}
    return OpenApiExample("Queued", value=value, response_only=True, status_codes=["202"])


class ChatReadApi(APIView):
    @extend_schema(
        tags=TAG,
        summary="Mark a chat read",
        operation_id="chats_read",
        parameters=PATH_PARAMS,
        request=None,
        description="Marks the chat's received messages read (`WPP.chat.markIsRead`): the contact "
        "sees blue ticks." + _RULES,
        responses={202: QUEUED, **ACTION_ERRORS},
        examples=[_chat_example("read", "")],
    )
    def post(self, request, session_id, chat_id):
        session = session_get_for_key(key=request.auth, session_id=session_id)
        return accepted(actions.chat_mark_read(session=session, chat=chat_id))


class ChatPresenceApi(APIView):
    @extend_schema(
        tags=TAG,
        summary="Show typing or recording in a chat",
        operation_id="chats_presence",
        parameters=PATH_PARAMS,
        request=PresenceInputSerializer,
        description="Shows the contact `typing` (`WPP.chat.markIsComposing`) or `recording` "
        "(`markIsRecording`), or stops it (`paused`, `markIsPaused`). WhatsApp drops typing or "
        "recording by itself after about 25 s." + _RULES,
        responses={202: QUEUED, **ACTION_ERRORS},
        examples=[
            OpenApiExample("Typing", value={"state": "typing"}, request_only=True),
            _chat_example("presence", "typing"),
        ],
    )
    def post(self, request, session_id, chat_id):
        session = session_get_for_key(key=request.auth, session_id=session_id)
        data = PresenceInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return accepted(
            actions.chat_set_presence(session=session, chat=chat_id, state=data.validated_data["state"])
        )
