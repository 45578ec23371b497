from django.urls import path

from webhooks.api import views

urlpatterns = [
    path("sessions/<uuid:session_id>/webhook", views.SessionWebhookApi.as_view(), name="session-webhook"),
    path(
        "sessions/<uuid:session_id>/webhook/deliveries",
        views.SessionWebhookDeliveriesApi.as_view(),
        name="session-webhook-deliveries",
    ),
    path(
        "webhooks/deliveries/<uuid:delivery_id>", views.WebhookDeliveryApi.as_view(), name="webhook-delivery"
    ),
    path(
        "webhooks/deliveries/<uuid:delivery_id>/retry",
        views.WebhookDeliveryRetryApi.as_view(),
        name="webhook-delivery-retry",
    ),
]
