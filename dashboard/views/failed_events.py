"""The session page's card of page events the engine could not store, with a retry button."""

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_POST

from dashboard.auth import viewer_required
from dashboard.replies import run_service
from dashboard.scope import found_or_404, session_for_viewer
from sessions_app.models import FailedEventStatus, Session
from sessions_app.quarantine import failed_event_retry
from sessions_app.selectors import failed_event_get, failed_events_for_session

FAILED_EVENTS_SHOWN = 10


def failed_events_context(session: Session) -> dict:
    pending = failed_events_for_session(session=session).exclude(status=FailedEventStatus.RESOLVED)
    return {"failed_events": list(pending[:FAILED_EVENTS_SHOWN]), "failed_events_total": pending.count()}


@require_POST
@viewer_required(perm="change_session")
def failed_event_retry_view(request: HttpRequest, session_id, event_id) -> HttpResponse:
    session = session_for_viewer(request, session_id)
    failed = found_or_404(failed_event_get, session=session, event_id=event_id)
    return run_service(
        request,
        lambda: failed_event_retry(failed_event=failed),
        success=f"{failed.name} will be handled again.",
        redirect_to=reverse("dashboard:session", args=[session.pk]) + "#failed-events",
    )
