"""An upload's file follows its row: deleting it (or its session) deletes the file."""

from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from cloud_api.models import UploadedMedia
from messaging.media import remove_file


@receiver(post_delete, sender=UploadedMedia, dispatch_uid="cloud_api.remove_upload_file")
def remove_upload_file(sender, instance: UploadedMedia, **kwargs) -> None:
    # After commit: a rolled-back delete must not lose the file.
    name = instance.name
    transaction.on_commit(lambda: remove_file(name))
