from django.urls import path

from groups.api import views

_BASE = "sessions/<uuid:session_id>/groups"

urlpatterns = [
    path(_BASE, views.GroupsApi.as_view(), name="groups"),
    # Before <group_id>: "join" is not a group id.
    path(f"{_BASE}/join", views.GroupJoinApi.as_view(), name="groups-join"),
    path(f"{_BASE}/<str:group_id>", views.GroupApi.as_view(), name="group"),
    path(
        f"{_BASE}/<str:group_id>/participants",
        views.GroupParticipantsApi.as_view(),
        name="group-participants",
    ),
    path(f"{_BASE}/<str:group_id>/invite", views.GroupInviteApi.as_view(), name="group-invite"),
    path(f"{_BASE}/<str:group_id>/leave", views.GroupLeaveApi.as_view(), name="group-leave"),
]
