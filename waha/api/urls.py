"""WAHA's paths, under /api/ beside YesApp's /api/v1/ (yesapp/urls.py includes them after
YesApp's own /api/ paths, so `v1`, `schema` and `docs` always mean YesApp's)."""

from django.urls import path

from waha.api import group_views, read_views, send_views, session_views

_session_actions = [
    path(
        f"sessions/<str:session>/{action}",
        view.as_view(),
        name=f"waha-session-{action}",
    )
    for action, view in session_views.SESSION_ACTION_VIEWS.items()
]

_G = "<str:session>/groups"
_G1 = _G + "/<str:id>"
_groups = [
    path(_G, group_views.GroupsApi.as_view(), name="waha-groups"),
    path(_G + "/join", group_views.GroupJoinApi.as_view(), name="waha-group-join"),
    path(_G1, group_views.GroupApi.as_view(), name="waha-group"),
    path(_G1 + "/leave", group_views.GroupLeaveApi.as_view(), name="waha-group-leave"),
    path(_G1 + "/invite-code", group_views.GroupInviteCodeApi.as_view(), name="waha-group-invite"),
    path(
        _G1 + "/invite-code/revoke",
        group_views.GroupInviteRevokeApi.as_view(),
        name="waha-group-invite-revoke",
    ),
    path(_G1 + "/subject", group_views.GroupSubjectApi.as_view(), name="waha-group-subject"),
    path(_G1 + "/description", group_views.GroupDescriptionApi.as_view(), name="waha-group-description"),
    path(
        _G1 + "/settings/security/messages-admin-only",
        group_views.GroupMessagesAdminOnlyApi.as_view(),
        name="waha-group-messages-admin-only",
    ),
    path(
        _G1 + "/settings/security/info-admin-only",
        group_views.GroupInfoAdminOnlyApi.as_view(),
        name="waha-group-info-admin-only",
    ),
    *[
        path(_G1 + f"/{where}", view.as_view(), name=f"waha-group-{where.replace('/', '-')}")
        for where, view in group_views.PARTICIPANT_VIEWS.items()
    ],
]

urlpatterns = [
    path("sessions", session_views.SessionsApi.as_view(), name="waha-sessions"),
    path("sessions/<str:session>", session_views.SessionDetailApi.as_view(), name="waha-session"),
    *_session_actions,
    path("sessions/<str:session>/me", session_views.SessionMeApi.as_view(), name="waha-session-me"),
    path("<str:session>/auth/qr", session_views.QrApi.as_view(), name="waha-qr"),
    path("<str:session>/auth/request-code", session_views.RequestCodeApi.as_view(), name="waha-request-code"),
    path("sendText", send_views.SendTextApi.as_view(), name="waha-send-text"),
    path("reply", send_views.ReplyApi.as_view(), name="waha-reply"),
    path("sendImage", send_views.SendImageApi.as_view(), name="waha-send-image"),
    path("sendFile", send_views.SendFileApi.as_view(), name="waha-send-file"),
    path("sendVoice", send_views.SendVoiceApi.as_view(), name="waha-send-voice"),
    path("sendVideo", send_views.SendVideoApi.as_view(), name="waha-send-video"),
    path("sendLocation", send_views.SendLocationApi.as_view(), name="waha-send-location"),
    path("sendContactVcard", send_views.SendContactVcardApi.as_view(), name="waha-send-contact-vcard"),
    path("sendPoll", send_views.SendPollApi.as_view(), name="waha-send-poll"),
    path("sendSeen", send_views.SendSeenApi.as_view(), name="waha-send-seen"),
    path("startTyping", send_views.StartTypingApi.as_view(), name="waha-start-typing"),
    path("stopTyping", send_views.StopTypingApi.as_view(), name="waha-stop-typing"),
    path("reaction", send_views.ReactionApi.as_view(), name="waha-reaction"),
    path("contacts/check-exists", read_views.CheckExistsApi.as_view(), name="waha-check-exists"),
    path("<str:session>/chats", read_views.ChatsApi.as_view(), name="waha-chats"),
    path(
        "<str:session>/chats/<str:chatId>/messages",
        read_views.ChatMessagesApi.as_view(),
        name="waha-chat-messages",
    ),
    *_groups,
]
