"""Reacting to a message from the session page's message log (messaging.actions, as the API's
POST .../reaction): the reaction is queued and sent like a message."""

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_POST

from dashboard.auth import viewer_required
from dashboard.replies import run_service
from dashboard.scope import found_or_404, session_for_viewer
from messaging import actions, selectors

# The reactions WhatsApp offers first; any one emoji works through the API.
QUICK_REACTIONS = ["👍", "❤️", "😂", "😮", "😢", "🙏"]


@require_POST
@viewer_required(perm="add_message")
def message_react(request: HttpRequest, session_id, message_id) -> HttpResponse:
    session = session_for_viewer(request, session_id)
    target = found_or_404(
        selectors.message_for_key, key=request.viewer.key, message_id=message_id, session=session
    )
    emoji = request.POST.get("emoji", "")
    return run_service(
        request,
        lambda: actions.message_react(target=target, emoji=emoji),
        success="Reaction removed." if not emoji else f"Reaction {emoji} queued.",
        redirect_to=reverse("dashboard:session", args=[session.pk]),
    )
