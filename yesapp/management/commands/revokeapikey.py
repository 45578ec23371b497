from django.core.management.base import BaseCommand, CommandError

from yesapp.apikeys import apikey_revoke
from yesapp.errors import ServiceError


class Command(BaseCommand):
    help = "Revokes the API key whose visible prefix starts with PREFIX (at least 4 characters)."

    def add_arguments(self, parser):
        parser.add_argument(
            "prefix", help="The key's prefix, as shown in the admin, the API or `createapikey`."
        )

    def handle(self, *args, prefix: str, **options):
        try:
            key = apikey_revoke(prefix=prefix)
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"Revoked {key}.")
