"""The session page's sending policy card: the preset and its fields, today's use of each cap,
and a form that changes them through the same checks as PUT .../sending-policy."""

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_POST

from dashboard.auth import viewer_required
from dashboard.forms import SendingPolicyForm
from dashboard.replies import invalid_form, reply
from dashboard.scope import session_for_viewer
from messaging import pacing, sending_policy
from messaging.api.policy_serializers import SendingPolicyInputSerializer
from sessions_app.models import Session


def sending_policy_context(session: Session) -> dict:
    shown = sending_policy.policy_json(session.pk)
    usage = pacing.policy_usage(session.pk, sending_policy.policy_for(session.pk))
    return {
        "policy": shown,
        "policy_usage": usage,
        "policy_form": SendingPolicyForm(initial=SendingPolicyForm.initial_from(shown)),
    }


@require_POST
@viewer_required(perm="change_session")
def sending_policy_save(request: HttpRequest, session_id) -> HttpResponse:
    session = session_for_viewer(request, session_id)
    here = reverse("dashboard:session", args=[session.pk]) + "#sending-policy"
    form = SendingPolicyForm(request.POST)
    if not form.is_valid():
        return invalid_form(request, form, redirect_to=here)
    current = sending_policy.policy_json(session.pk)["preset"]
    preset = form.cleaned_data["preset"]
    # A new preset comes with its own values; otherwise the fields as the form shows them.
    fields = {} if preset != current else form.policy_fields()
    data = SendingPolicyInputSerializer(data={"preset": preset, **fields})
    if not data.is_valid():
        first = next(iter(data.errors.items()))
        return reply(request, ok=False, message=f"{first[0]}: {first[1]}", redirect_to=here)
    sending_policy.sending_policy_replace(session=session, **data.validated_data)
    return reply(request, ok=True, message=f"Sending policy saved ({preset}).", redirect_to=here)
