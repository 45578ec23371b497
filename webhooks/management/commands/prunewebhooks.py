from django.conf import settings
from django.core.management.base import BaseCommand

from webhooks.outbox import webhook_deliveries_prune


class Command(BaseCommand):
    help = "Deletes finished webhook deliveries (and attempts) older than WEBHOOK_RETENTION_DAYS, in batches."

    def add_arguments(self, parser):
        parser.add_argument(
            "--days", type=int, help=f"Keep this many days (default {settings.WEBHOOK_RETENTION_DAYS})."
        )
        parser.add_argument("--batch-size", type=int, default=1000, help="Rows deleted per transaction.")

    def handle(self, *args, days: int | None, batch_size: int, **options):
        deleted = webhook_deliveries_prune(older_than_days=days, batch_size=batch_size)
        self.stdout.write(f"Deleted {deleted} webhook deliveries.")
