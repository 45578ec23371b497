from django.urls import path

from messaging.api import contact_views, views

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
    path("media/<uuid:message_id>", views.MediaDownloadApi.as_view(), name="media-download"),
    path("stats", views.StatsApi.as_view(), name="stats"),
]
