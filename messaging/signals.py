"""Media files follow their rows: deleting a message (or its session) deletes its file, and
deleting a contact (or its session) its profile picture."""

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from messaging.media import remove_file
from messaging.models import Contact, Message


@receiver(post_delete, sender=Message, dispatch_uid="messaging.remove_media_file")
def remove_media_file(sender, instance: Message, **kwargs) -> None:
    # After commit: a rolled-back delete must not lose the file.
    if instance.media_name:
        name = instance.media_name
        transaction.on_commit(lambda: remove_file(name))


@receiver(post_delete, sender=Contact, dispatch_uid="messaging.remove_contact_picture")
def remove_contact_picture(sender, instance: Contact, **kwargs) -> None:
    if instance.picture_name:
        name = instance.picture_name
        transaction.on_commit(lambda: default_storage.delete(name))
