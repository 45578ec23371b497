"""Media a Cloud API client uploaded (`POST /{phone-number-id}/media`) before sending it by id.

YesApp keeps a message's file with the message; the Cloud API uploads first and sends later,
so an upload waits here, in the same media folder, until a message uses it or it expires.
"""

import uuid

from django.db import models


class UploadedMedia(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    session = models.ForeignKey("sessions_app.Session", on_delete=models.CASCADE, related_name="+")
    # The file's name in the file storage (messaging.media.store_file).
    name = models.CharField(max_length=255)
    mimetype = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    filename = models.CharField(max_length=255, blank=True)
    kind = models.CharField(max_length=20, help_text="image, video, audio or document, from the bytes.")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "uploaded media (Cloud API)"
        verbose_name_plural = "uploaded media (Cloud API)"

    def __str__(self) -> str:
        return f"{self.filename or self.name} ({self.mimetype})"
