from django.urls import path

from calls.api import views

urlpatterns = [
    path("sessions/<uuid:session_id>/calls/settings", views.CallSettingsApi.as_view(), name="call-settings"),
]
