"""`manage.py createapikey --name NAME [--session NAME_OR_ID ...]`: here, beside the sessions,
because a key may be limited to sessions named on the command line."""

from django.core.management.base import BaseCommand, CommandError

from sessions_app.selectors import session_get_by_name_or_id
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
            metavar="SESSION",
            help="Limit the key to this session, by name or id (repeatable). Without it the key is "
            "an admin key.",
        )

    def handle(self, *args, name: str, session: list[str], **options):
        try:
            session_ids = [session_get_by_name_or_id(ref=ref).pk for ref in session]
            key, raw_key = apikey_create(name=name, is_admin=not session, session_ids=session_ids)
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"API Key: {raw_key}")
        scope = "admin (all sessions)" if key.is_admin else f"limited to {len(session)} session(s)"
        self.stderr.write(f"Prefix {key.prefix}, {scope}. Store the key now: it is not shown again.")
