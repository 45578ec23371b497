from django.urls import path

from messaging.api import views

urlpatterns = [
    path("sessions/<uuid:session_id>/messages", views.MessageListSendApi.as_view(), name="messages"),
    path(
        "sessions/<uuid:session_id>/messages/<uuid:message_id>",
        views.MessageDetailApi.as_view(),
        name="message-detail",
    ),
    path("media/<uuid:message_id>", views.MediaDownloadApi.as_view(), name="media-download"),
    path("stats", views.StatsApi.as_view(), name="stats"),
]
