from django.urls import path

from messaging.api import (
    action_views,
    chat_list_views,
    chat_views,
    contact_views,
    directory_views,
    forward_views,
    policy_views,
    views,
)

urlpatterns = [
    path("sessions/<uuid:session_id>/messages", views.MessageListSendApi.as_view(), name="messages"),
    path(
        "sessions/<uuid:session_id>/messages/<uuid:message_id>",
        views.MessageDetailApi.as_view(),
        name="message-detail",
    ),
    path(
        "sessions/<uuid:session_id>/contacts/check",
        contact_views.ContactCheckApi.as_view(),
        name="contacts-check",
    ),
    path(
        "sessions/<uuid:session_id>/contacts/lid/<str:lid>",
        contact_views.ContactLidApi.as_view(),
        name="contacts-lid",
    ),
    path(
        "sessions/<uuid:session_id>/contacts/phone/<str:phone>/lid",
        contact_views.ContactPhoneLidApi.as_view(),
        name="contacts-phone-lid",
    ),
    path("sessions/<uuid:session_id>/contacts", directory_views.ContactListApi.as_view(), name="contacts"),
    path(
        "sessions/<uuid:session_id>/contacts/<str:contact_id>",
        directory_views.ContactDetailApi.as_view(),
        name="contact-detail",
    ),
    path(
        "sessions/<uuid:session_id>/contacts/<str:contact_id>/picture",
        directory_views.ContactPictureApi.as_view(),
        name="contact-picture",
    ),
    path(
        "sessions/<uuid:session_id>/contacts/<str:contact_id>/block",
        directory_views.ContactBlockApi.as_view(),
        name="contact-block",
    ),
    path(
        "sessions/<uuid:session_id>/contacts/<str:contact_id>/unblock",
        directory_views.ContactUnblockApi.as_view(),
        name="contact-unblock",
    ),
    path("sessions/<uuid:session_id>/chats", chat_list_views.ChatListApi.as_view(), name="chats"),
    path(
        "sessions/<uuid:session_id>/chats/<str:chat_id>/sync",
        chat_list_views.ChatSyncApi.as_view(),
        name="chat-sync",
    ),
    path(
        "sessions/<uuid:session_id>/messages/<uuid:message_id>/reaction",
        action_views.MessageReactionApi.as_view(),
        name="message-reaction",
    ),
    path(
        "sessions/<uuid:session_id>/messages/<uuid:message_id>/forward",
        forward_views.MessageForwardApi.as_view(),
        name="message-forward",
    ),
    path(
        "sessions/<uuid:session_id>/chats/<str:chat_id>/read",
        chat_views.ChatReadApi.as_view(),
        name="chat-read",
    ),
    path(
        "sessions/<uuid:session_id>/chats/<str:chat_id>/presence",
        chat_views.ChatPresenceApi.as_view(),
        name="chat-presence",
    ),
    path(
        "sessions/<uuid:session_id>/sending-policy",
        policy_views.SendingPolicyApi.as_view(),
        name="sending-policy",
    ),
    path("media/<uuid:message_id>", views.MediaDownloadApi.as_view(), name="media-download"),
    path("stats", views.StatsApi.as_view(), name="stats"),
]
