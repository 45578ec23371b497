from django.urls import path

from dashboard.api import views

urlpatterns = [
    path("logs", views.LogListApi.as_view(), name="api-logs"),
]
