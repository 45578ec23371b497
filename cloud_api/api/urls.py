from django.urls import re_path

from cloud_api.api import views

# The Cloud API's paths under any version, as clients build them: /v23.0/{phone-number-id}/...
_VERSION = r"^v(?P<version>\d+(?:\.\d+)?)/"

urlpatterns = [
    re_path(
        _VERSION + r"(?P<phone_number_id>[^/]+)/messages$", views.MessagesApi.as_view(), name="cloud-messages"
    ),
    re_path(
        _VERSION + r"(?P<phone_number_id>[^/]+)/media$",
        views.MediaUploadApi.as_view(),
        name="cloud-media-upload",
    ),
    re_path(_VERSION + r"(?P<media_id>\d{1,39})$", views.MediaApi.as_view(), name="cloud-media"),
    re_path(
        _VERSION + r"(?P<media_id>\d{1,39})/file$", views.MediaFileApi.as_view(), name="cloud-media-file"
    ),
    # Last: anything else under /v.../ answers a Graph 404, not the dashboard's HTML page.
    re_path(r"^v[^/]*/", views.UnknownPathApi.as_view()),
]
