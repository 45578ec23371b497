from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from yesapp import health, metrics
from yesapp.admin import throttled_admin_login
from yesapp.schema import SignedInSwaggerView

api_v1 = [
    path("", include("yesapp.api.urls")),
    path("", include("sessions_app.api.urls")),
    path("", include("messaging.api.urls")),
    path("", include("groups.api.urls")),
    path("", include("calls.api.urls")),
    path("", include("events.api.urls")),
    path("", include("webhooks.api.urls")),
    path("", include("sandbox.api.urls")),
    path("", include("dashboard.api.urls")),
]

urlpatterns = [
    path("health", health.health, name="health"),
    path("ready", health.ready, name="ready"),
    # Prometheus scrape endpoint; off unless METRICS_ENABLED (yesapp/metrics.py).
    path("metrics", metrics.metrics_view, name="metrics"),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SignedInSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("admin/login/", throttled_admin_login),  # before admin.site.urls, which it overrides
    path("admin/", admin.site.urls),
    path("sandbox/", include("sandbox.urls")),
    # The WhatsApp Cloud API compatible facade (/v{version}/...), docs/COMPATIBILITY.md.
    path("", include("cloud_api.api.urls")),
    # Last: the dashboard lives at the site root.
    path("", include("dashboard.urls")),
]

handler400 = "yesapp.errors.handler400"
handler404 = "yesapp.errors.handler404"
handler500 = "yesapp.errors.handler500"
