from django.conf import settings
from django.core.management.base import BaseCommand

from yesapp.apikeys import apikey_ensure_initial


class Command(BaseCommand):
    help = "First-start setup after migrate: the initial API key (logged once) and the URLs."

    def handle(self, *args, **options):
        raw_key = apikey_ensure_initial()
        base = settings.PUBLIC_URL
        lines = [
            "",
            "YesApp is starting.",
            f"  Dashboard: {base}/",
            f"  API docs:  {base}/api/docs/",
            f"  Admin:     {base}/admin/  (create a user with `python manage.py createsuperuser`)",
        ]
        if raw_key:
            lines.append(f"  API Key: {raw_key}   <- shown once; store it now.")
        else:
            lines.append("  API key: made on first start; `python manage.py createapikey --name NAME` for another.")
        self.stdout.write("\n".join(lines) + "\n")
