from django.urls import path

from webhooks.api import list_views, views

urlpatterns = [
    path("sessions/<uuid:session_id>/webhook", views.SessionWebhookApi.as_view(), name="session-webhook"),
    path(
        "sessions/<uuid:session_id>/webhooks",
        list_views.SessionWebhooksApi.as_view(),
        name="session-webhooks",
    ),
    path(
        "sessions/<uuid:session_id>/webhooks/<uuid:webhook_id>",
        list_views.SessionWebhookItemApi.as_view(),
        name="session-webhook-item",
    ),
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
