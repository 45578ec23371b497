from django.core.management.base import BaseCommand, CommandError

from yesapp.apikeys import apikey_create
from yesapp.errors import ServiceError


class Command(BaseCommand):
    help = "Creates an API key and prints it once. Only its hash is stored."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="What the key is for, e.g. 'crm'.")
        parser.add_argument(
            "--session",
            action="append",
            default=[],
            metavar="SESSION_ID",
            help="Limit the key to this session (repeatable). Without it the key is an admin key.",
        )

    def handle(self, *args, name: str, session: list[str], **options):
        try:
            key, raw_key = apikey_create(name=name, is_admin=not session, session_ids=session)
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"API Key: {raw_key}")
        scope = "admin (all sessions)" if key.is_admin else f"limited to {len(session)} session(s)"
        self.stderr.write(f"Prefix {key.prefix}, {scope}. Store the key now: it is not shown again.")
