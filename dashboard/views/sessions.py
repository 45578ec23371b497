"""Sessions: the home page with its live table, creating sessions, and their actions."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from dashboard.auth import require_perm, viewer_required
from dashboard.forms import SessionCreateForm
from dashboard.replies import invalid_form, reply, run_service
from dashboard.scope import session_for_viewer
from sessions_app import services
from sessions_app.models import Session, SessionStatus
from sessions_app.selectors import sessions_for_key
from yesapp.errors import ServiceError

# Actions a person can take on a session; the destructive ones ask for confirmation first.
ACTIONS = {
    "start": {"label": "Start", "confirm": ""},
    "stop": {"label": "Stop", "confirm": ""},
    "restart": {"label": "Restart", "confirm": ""},
    "logout": {
        "label": "Log out",
        "confirm": "Unlink the phone from this session? You will need to scan a new QR.",
    },
    "delete": {
        "label": "Delete",
        "confirm": "Delete this session, its messages, media and webhook settings? This cannot be undone.",
    },
}


def available_actions(session: Session, *, is_admin: bool) -> list[dict]:
    """The buttons that make sense in the session's current state (the services decide for real)."""
    names = []
    running = session.is_running and session.desired_state != "stopped"
    if not running:
        names.append("start")
    else:
        names += ["stop", "restart"]
    if session.status in (SessionStatus.CONNECTED, SessionStatus.DISCONNECTED):
        names.append("logout")
    if is_admin:
        names.append("delete")
    return [{"name": name, **ACTIONS[name]} for name in dict.fromkeys(names)]


def viewer_actions(request: HttpRequest, session: Session) -> list[dict]:
    """The buttons this viewer may use: a staff user's Django permissions decide too."""
    can = request.viewer.can
    return [
        action
        for action in available_actions(session, is_admin=request.viewer.is_admin)
        if can["delete_session" if action["name"] == "delete" else "change_session"]
    ]


def _session_rows(request: HttpRequest) -> list[dict]:
    return [
        {"session": session, "actions": viewer_actions(request, session)}
        for session in sessions_for_key(key=request.viewer.key).order_by("created_at")
    ]


@require_GET
@viewer_required
def sessions_home(request: HttpRequest) -> HttpResponse:
    context = {"rows": _session_rows(request), "create_form": SessionCreateForm(), "nav": "sessions"}
    return render(request, "dashboard/sessions.html", context)


@require_GET
@viewer_required
def sessions_table(request: HttpRequest) -> HttpResponse:
    return render(request, "partials/sessions_table.html", {"rows": _session_rows(request)})


@require_POST
@viewer_required(admin=True, perm="add_session")
def session_create(request: HttpRequest) -> HttpResponse:
    home = reverse("dashboard:sessions")
    form = SessionCreateForm(request.POST)
    if not form.is_valid():
        return invalid_form(request, form, redirect_to=home)

    try:
        session, _ = services.session_create(
            name=form.cleaned_data["name"], sandbox=form.cleaned_data["kind"] == "sandbox"
        )
    except ServiceError as exc:
        return reply(request, ok=False, message=exc.message, redirect_to=home, status=exc.status_code)
    target = reverse("dashboard:session", args=[session.pk])
    return reply(
        request,
        ok=True,
        message=f"Session {session.name} created; starting…",
        redirect_to=target,
        follow=True,
    )


@require_POST
@viewer_required
def session_action(request: HttpRequest, session_id, action: str) -> HttpResponse:
    if action not in ACTIONS:
        raise Http404("No such action.")
    if action == "delete" and not request.viewer.is_admin:
        return reply(
            request,
            ok=False,
            message="Only an admin key or a staff user can delete sessions.",
            redirect_to=reverse("dashboard:sessions"),
            status=403,
        )
    require_perm(request, "delete_session" if action == "delete" else "change_session")
    session = session_for_viewer(request, session_id)
    back = request.POST.get("back") == "session"
    here = reverse("dashboard:session", args=[session.pk]) if back else reverse("dashboard:sessions")
    if action == "delete":
        return run_service(
            request,
            lambda: services.session_delete(session=session),
            success=f"Session {session.name} deleted.",
            redirect_to=reverse("dashboard:sessions"),
            follow=back,
        )
    service = services.SESSION_ACTIONS[action]
    done = {"start": "Starting", "stop": "Stopping", "restart": "Restarting", "logout": "Logging out"}[action]
    return run_service(
        request, lambda: service(session=session), success=f"{done} {session.name}…", redirect_to=here
    )
