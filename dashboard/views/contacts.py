"""A session's Contacts page: its WhatsApp contacts with a search, the "is this number on
WhatsApp?" form, and block / unblock. Reads and writes go through messaging.directory, the
same services as the API."""

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from dashboard.auth import viewer_required
from dashboard.forms import ContactCheckForm
from dashboard.replies import reply
from dashboard.scope import session_for_viewer
from messaging import directory
from messaging.models import Contact
from yesapp.errors import ServiceError

PAGE_SIZE = 50


@require_GET
@viewer_required(perm="view_message")
def contact_list_page(request: HttpRequest, session_id) -> HttpResponse:
    """The list as WhatsApp last gave it; when it cannot be read now (the session is not
    connected), the stored one with the reason."""
    session = session_for_viewer(request, session_id)
    search = request.GET.get("q", "").strip()[:100]
    problem = ""
    try:
        rows = directory.contact_list(
            session=session, search=search, refresh=request.GET.get("refresh") == "1"
        )
    except ServiceError as exc:
        problem = exc.message
        rows = directory.contact_search(
            Contact.objects.filter(session=session, listed_at__isnull=False), search
        )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "session": session,
        "nav": "sessions",
        "search": search,
        "page": page,
        "problem": problem,
        "contact_check_form": ContactCheckForm(auto_id="check_%s"),
        "can": request.viewer.can,
    }
    return render(request, "dashboard/contacts.html", context)


@require_POST
@viewer_required(perm="add_message")
def contact_block(request: HttpRequest, session_id, contact_id: str) -> HttpResponse:
    """Block (`block=1`) or unblock a contact, then back to the list."""
    session = session_for_viewer(request, session_id)
    here = reverse("dashboard:contacts", args=[session.pk])
    blocked = request.POST.get("block") == "1"
    try:
        answer = directory.contact_set_blocked(
            session=session, contact_id=directory.contact_id_from(contact_id), blocked=blocked
        )
    except ServiceError as exc:
        return reply(
            request, ok=False, message=exc.message, redirect_to=here, status=exc.status_code, code=exc.code
        )
    verb = "blocked" if answer["blocked"] else "unblocked"
    return reply(request, ok=True, message=f"{answer['contactId']} is {verb}.", redirect_to=here, follow=True)
