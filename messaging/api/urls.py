from django.urls import path

from messaging.api import action_views, chat_views, views

urlpatterns = [
    path("sessions/<uuid:session_id>/messages", views.MessageListSendApi.as_view(), name="messages"),
    path(
        "sessions/<uuid:session_id>/messages/<uuid:message_id>",
        views.MessageDetailApi.as_view(),
        name="message-detail",
    ),
    path(
        "sessions/<uuid:session_id>/messages/<uuid:message_id>/reaction",
        action_views.MessageReactionApi.as_view(),
        name="message-reaction",
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
    path("media/<uuid:message_id>", views.MediaDownloadApi.as_view(), name="media-download"),
    path("stats", views.StatsApi.as_view(), name="stats"),
]
