from django.conf import settings
from django.core.management.base import BaseCommand

from yesapp.apikeys import INITIAL_KEY_FILE, apikey_ensure_initial
from yesapp.health import check_redis


class Command(BaseCommand):
    help = (
        "First-start setup after migrate: prints the URLs and makes the initial API key "
        "(shown once here and kept in DATA_DIR/initial_api_key, never logged)."
    )

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
        # The key reaches the console once and a 0600 file in DATA_DIR, never the log file
        # (which the dashboard shows and log shippers copy).
        raw_key = apikey_ensure_initial()
        if raw_key is None:
            self.stdout.write(
                "  API keys:   made on first start; "
                "`python manage.py createapikey --name NAME` makes another.\n"
            )
        else:
            kept = settings.DATA_DIR / INITIAL_KEY_FILE
            self.stdout.write(
                f"API Key: {raw_key}\n  (shown this once; also in {kept}, readable by this user only)\n"
            )
