"""`manage.py sessions list|start|stop|restart|doctor [NAME_OR_ID]`: sessions for operators."""

from django.core.management.base import BaseCommand, CommandError

from sessions_app import services
from sessions_app.diagnostics import session_diagnose
from sessions_app.models import Session
from sessions_app.selectors import session_get_by_name_or_id
from yesapp.errors import ServiceError


def find_session(ref: str) -> Session:
    try:
        return session_get_by_name_or_id(ref=ref)
    except ServiceError as exc:
        raise CommandError(exc.message) from exc


class Command(BaseCommand):
    help = "Lists sessions with their status, or starts, stops, restarts or diagnoses one."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["list", "start", "stop", "restart", "doctor"])
        parser.add_argument("session", nargs="?", help="Session name or id (not for list).")

    def handle(self, *args, action: str, session: str | None, **options):
        if action == "list":
            rows = Session.objects.order_by("name")
            self.stdout.write(
                f"{'NAME':20} {'STATUS':13} {'WANTED':8} {'PHONE':16} {'SANDBOX':7} ID / LAST ERROR"
            )
            for s in rows:
                self.stdout.write(
                    f"{s.name[:20]:20} {s.status:13} {s.desired_state:8} {s.phone or '-':16} "
                    f"{'yes' if s.sandbox else 'no':7} {s.id}{'  ' + s.last_error if s.last_error else ''}"
                )
            return
        if not session:
            raise CommandError(f"Which session? `manage.py sessions {action} NAME`")
        target = find_session(session)
        if action == "doctor":
            return self.doctor(target)
        try:
            result = services.SESSION_ACTIONS[action](session=target)
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"{result.name}: {result.status} (wanted: {result.desired_state})")

    def doctor(self, session: Session) -> None:
        """The diagnostics report as text; exits non-zero when a check fails."""
        try:
            report = session_diagnose(session=session)
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            f"{session.name} ({report['status']}), checked {report['checkedAt']:%Y-%m-%d %H:%M:%S} UTC"
        )
        marks = {True: "ok  ", False: "FAIL", None: "--  "}
        for check in report["checks"]:
            self.stdout.write(f"  {marks[check['ok']]} {check['name']:20} {check['verdict']}")
        if not report["healthy"]:
            raise CommandError(
                "Some checks failed (above); see docs/UPGRADING_WAJS.md and docs/REAL_PHONE.md."
            )
