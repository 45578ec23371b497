"""The session page's webhook card: configure, delete, recent deliveries, retry by hand."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from dashboard.auth import is_fetch, viewer_required
from dashboard.forms import WebhookForm
from dashboard.replies import invalid_form, reply, run_service
from dashboard.scope import found_or_404, session_for_viewer
from dashboard.views.session_page import session_detail_context
from webhooks import outbox, selectors, services
from webhooks.models import DeliveryStatus
from yesapp.errors import ServiceError

DELIVERIES_SHOWN = 10


@require_POST
@viewer_required(perm="change_webhook")
def webhook_save(request: HttpRequest, session_id) -> HttpResponse:
    session = session_for_viewer(request, session_id)
    here = reverse("dashboard:session", args=[session.pk]) + "#webhook"
    form = WebhookForm(request.POST)
    if not form.is_valid():
        return invalid_form(request, form, redirect_to=here)
    url, events = form.cleaned_data["url"], form.cleaned_data["events"] or ["*"]
    try:
        # The card edits the URL and events only: an existing webhook keeps its secret and headers.
        if selectors.webhook_config_for_session(session=session) is None:
            _, secret = services.webhook_configure(session=session, url=url, events=events)
        else:
            services.webhook_update(session=session, url=url, events=events)
            secret = None
    except ServiceError as exc:
        return reply(request, ok=False, message=exc.message, redirect_to=here, status=exc.status_code)
    if secret is None:
        return reply(request, ok=True, message="Webhook saved.", redirect_to=here)
    # The generated secret is shown once, in this answer only: never stored in the Django
    # session or a flash message. Without JavaScript the page is rendered right here.
    if is_fetch(request):
        return reply(
            request, ok=True, message="Webhook saved. Copy its secret now.", redirect_to=here, secret=secret
        )
    context = session_detail_context(request, session) | {"new_secret": secret}
    return render(request, "dashboard/session_detail.html", context)


@require_POST
@viewer_required(perm="change_webhook")
def webhook_delete(request: HttpRequest, session_id) -> HttpResponse:
    session = session_for_viewer(request, session_id)
    here = reverse("dashboard:session", args=[session.pk]) + "#webhook"
    deleted = services.webhook_delete(session=session)
    return reply(
        request,
        ok=True,
        message="Webhook deleted." if deleted else "This session had no webhook.",
        redirect_to=here,
        follow=True,
    )


@require_GET
@viewer_required(perm="view_webhook")
def webhook_deliveries(request: HttpRequest, session_id) -> HttpResponse:
    session = session_for_viewer(request, session_id)
    deliveries = list(
        selectors.webhook_deliveries_for_session(session=session).select_related("config")[:DELIVERIES_SHOWN]
    )
    for delivery in deliveries:  # the template shows neither its error nor a retry button then
        delivery.receiver_hidden = selectors.webhook_receiver_hidden(
            key=request.viewer.key, delivery=delivery
        )
    context = {
        "session": session,
        "deliveries": deliveries,
        "retryable": (DeliveryStatus.FAILED, DeliveryStatus.SUCCEEDED),
    }
    return render(request, "partials/webhook_deliveries.html", context)


@require_POST
@viewer_required(perm="change_webhook")
def webhook_delivery_retry(request: HttpRequest, delivery_id) -> HttpResponse:
    delivery = found_or_404(
        selectors.webhook_delivery_get_for_key, key=request.viewer.key, delivery_id=delivery_id
    )
    here = reverse("dashboard:session", args=[delivery.session_id]) + "#webhook"
    return run_service(
        request,
        lambda: outbox.webhook_delivery_retry(
            delivery=selectors.webhook_delivery_check_retry(key=request.viewer.key, delivery=delivery)
        ),
        success=f"Delivery {delivery.event} queued again.",
        redirect_to=here,
    )
