from django.urls import path

from events.api import views

urlpatterns = [
    path("events", views.EventListApi.as_view(), name="events"),
    path("events/stream", views.EventStreamApi.as_view(), name="events-stream"),
]
