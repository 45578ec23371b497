from django.urls import path

from yesapp.api import views

urlpatterns = [
    path("me", views.MeView.as_view(), name="api-me"),
    path("keys", views.KeyListCreateView.as_view(), name="api-keys"),
    path("keys/<str:prefix>", views.KeyRevokeView.as_view(), name="api-key-revoke"),
]
