from django.urls import path

from sandbox.api import action_views, group_views, views

urlpatterns = [
    path("sandbox/sessions/<uuid:session_id>", views.SandboxStateApi.as_view(), name="sandbox-state"),
    path("sandbox/sessions/<uuid:session_id>/link", views.SandboxLinkApi.as_view(), name="sandbox-link"),
    path(
        "sandbox/sessions/<uuid:session_id>/inbound",
        views.SandboxInboundApi.as_view(),
        name="sandbox-inbound",
    ),
    path(
        "sandbox/sessions/<uuid:session_id>/page-events",
        views.SandboxPageEventApi.as_view(),
        name="sandbox-page-event",
    ),
    path(
        "sandbox/sessions/<uuid:session_id>/outbox", views.SandboxOutboxApi.as_view(), name="sandbox-outbox"
    ),
    path(
        "sandbox/sessions/<uuid:session_id>/outbox/<str:msg_id>/media",
        views.SandboxOutboxMediaApi.as_view(),
        name="sandbox-outbox-media",
    ),
    path(
        "sandbox/sessions/<uuid:session_id>/disconnect",
        views.SandboxDisconnectApi.as_view(),
        name="sandbox-disconnect",
    ),
    path(
        "sandbox/sessions/<uuid:session_id>/chats/<str:chat_id>",
        action_views.SandboxPhoneChatApi.as_view(),
        name="sandbox-chat",
    ),
    path(
        "sandbox/sessions/<uuid:session_id>/messages/<str:msg_id>",
        action_views.SandboxPhoneMessageApi.as_view(),
        name="sandbox-message",
    ),
    path(
        "sandbox/sessions/<uuid:session_id>/messages/<str:msg_id>/reaction",
        action_views.SandboxContactReactApi.as_view(),
        name="sandbox-contact-react",
    ),
    path(
        "sandbox/sessions/<uuid:session_id>/messages/<str:msg_id>/revoke",
        action_views.SandboxContactRevokeApi.as_view(),
        name="sandbox-contact-revoke",
    ),
    path(
        "sandbox/sessions/<uuid:session_id>/messages/<str:msg_id>/edit",
        action_views.SandboxContactEditApi.as_view(),
        name="sandbox-contact-edit",
    ),
    path(
        "sandbox/sessions/<uuid:session_id>/groups",
        group_views.SandboxGroupsApi.as_view(),
        name="sandbox-groups",
    ),
    path(
        "sandbox/sessions/<uuid:session_id>/groups/<str:group_id>",
        group_views.SandboxGroupApi.as_view(),
        name="sandbox-group",
    ),
    path(
        "sandbox/sessions/<uuid:session_id>/groups/<str:group_id>/participants",
        group_views.SandboxGroupMembersApi.as_view(),
        name="sandbox-group-members",
    ),
    path(
        "sandbox/sessions/<uuid:session_id>/groups/<str:group_id>/messages",
        group_views.SandboxGroupMessageApi.as_view(),
        name="sandbox-group-message",
    ),
    path(
        "sandbox/sessions/<uuid:session_id>/calls",
        group_views.SandboxCallsApi.as_view(),
        name="sandbox-calls",
    ),
]
