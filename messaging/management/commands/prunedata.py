from django.core.management.base import BaseCommand

from messaging.storage import storage_prune


class Command(BaseCommand):
    help = (
        "Deletes what is past its retention, in batches: messages (MESSAGE_RETENTION_DAYS), media "
        "files (MEDIA_RETENTION_DAYS) and session events (SESSION_EVENT_RETENTION_DAYS). Runs "
        "hourly under beat; webhook deliveries have `prunewebhooks`."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=1000, help="Rows changed per transaction.")

    def handle(self, *args, batch_size: int, **options):
        done = storage_prune(batch_size=batch_size)
        self.stdout.write(
            f"Deleted {done['messages']} messages, the media files of {done['media']} messages "
            f"and {done['sessionEvents']} session events."
        )
