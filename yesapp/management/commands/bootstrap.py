import logging

from django.conf import settings
from django.core.management.base import BaseCommand

from yesapp.apikeys import apikey_ensure_initial
from yesapp.health import check_redis

logger = logging.getLogger("yesapp.apikeys")


class Command(BaseCommand):
    help = "First-start setup after migrate: prints the URLs and makes the initial API key (logged once)."

    def handle(self, *args, **options):
        base = settings.PUBLIC_URL
        log_file = settings.LOG_DIR / "yesapp.log"
        self.stdout.write(
            "\n".join(
                [
                    "",
                    "YesApp is starting.",
                    f"  Dashboard:  {base}/",
                    f"  API docs:   {base}/api/docs/",
                    f"  Health:     {base}/health  and  {base}/ready",
                    f"  Admin:      {base}/admin/  (make a user: python manage.py createsuperuser)",
                    f"  Logs:       {log_file}",
                    "",
                ]
            )
        )
        if problem := check_redis():
            self.stdout.write(
                f"  WARNING:    {problem}\n"
                f"              Workers cannot start without Redis at {settings.REDIS_URL}; "
                "start it (README: Troubleshooting).\n"
            )
        self.stdout.flush()
        # The key is written once, by the logger, to the console and to the log file; it is
        # never stored in plain text and never printed again.
        raw_key = apikey_ensure_initial()
        if raw_key is None:
            self.stdout.write(
                "  API keys:   made on first start; "
                "`python manage.py createapikey --name NAME` makes another.\n"
            )
        elif not logger.isEnabledFor(logging.WARNING):
            # LOG_LEVEL hides the log line that carries the key; it must still reach the user once.
            self.stdout.write(f"API Key: {raw_key}\n")
