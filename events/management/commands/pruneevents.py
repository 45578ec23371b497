from django.conf import settings
from django.core.management.base import BaseCommand

from events.log import events_prune


class Command(BaseCommand):
    help = "Deletes event log entries older than EVENT_RETENTION_DAYS, in batches. Runs hourly under beat."

    def add_arguments(self, parser):
        parser.add_argument(
            "--days", type=int, help=f"Keep this many days (default {settings.EVENT_RETENTION_DAYS})."
        )
        parser.add_argument("--batch-size", type=int, default=1000, help="Rows deleted per transaction.")

    def handle(self, *args, days: int | None, batch_size: int, **options):
        deleted = events_prune(older_than_days=days, batch_size=batch_size)
        self.stdout.write(f"Deleted {deleted} event log entries.")
