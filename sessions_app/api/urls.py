from django.urls import path

from sessions_app.api import diagnostics_views, link_views, views

urlpatterns = [
    path("sessions", views.SessionListCreateApi.as_view(), name="sessions"),
    path("sessions/<uuid:session_id>", views.SessionDetailApi.as_view(), name="session-detail"),
    path("sessions/<uuid:session_id>/start", views.SessionStartApi.as_view(), name="session-start"),
    path("sessions/<uuid:session_id>/stop", views.SessionStopApi.as_view(), name="session-stop"),
    path("sessions/<uuid:session_id>/restart", views.SessionRestartApi.as_view(), name="session-restart"),
    path("sessions/<uuid:session_id>/logout", views.SessionLogoutApi.as_view(), name="session-logout"),
    path("sessions/<uuid:session_id>/qr", link_views.SessionQrApi.as_view(), name="session-qr"),
    path(
        "sessions/<uuid:session_id>/pairing-code",
        link_views.SessionPairingCodeApi.as_view(),
        name="session-pairing",
    ),
    path(
        "sessions/<uuid:session_id>/diagnostics",
        diagnostics_views.SessionDiagnosticsApi.as_view(),
        name="session-diagnostics",
    ),
    path("sessions/<uuid:session_id>/events", views.SessionEventsApi.as_view(), name="session-events"),
    path(
        "sessions/<uuid:session_id>/failed-events",
        diagnostics_views.FailedEventListApi.as_view(),
        name="session-failed-events",
    ),
    path(
        "sessions/<uuid:session_id>/failed-events/<uuid:event_id>/retry",
        diagnostics_views.FailedEventRetryApi.as_view(),
        name="session-failed-event-retry",
    ),
]
