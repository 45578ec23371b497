"""Test-only URLs: the real ones plus views that fail on purpose (never in production urls)."""

from django.http import HttpResponse
from django.urls import include, path
from rest_framework.views import APIView

import yesapp.urls


class BrokenApiView(APIView):
    """A DRF view with a bug: must answer 500 in the error shape, traceback only in the log."""

    def get(self, request):
        raise RuntimeError("secret internals: password=hunter2")


def broken_plain_view(request):
    """A plain Django view with a bug, outside DRF."""
    raise RuntimeError("secret internals: password=hunter2")


def ok_plain_view(request):
    return HttpResponse("ok")


urlpatterns = [
    path("api/v1/test/broken", BrokenApiView.as_view()),
    path("api/v1/test/broken-plain", broken_plain_view),
    path("broken-page", broken_plain_view),
    path("", include(yesapp.urls.urlpatterns)),
]
handler400 = yesapp.urls.handler400
handler404 = yesapp.urls.handler404
handler500 = yesapp.urls.handler500
