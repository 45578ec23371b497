"""The page's endpoints for the address book (sandbox/directory.py): what the sandbox's
`WPP.contact.list / get / getStatus / getProfilePictureUrl` and `WPP.blocklist` call. Same
rules as views.py: page token, a logged-in device, one error shape."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse

from sandbox import directory
from sandbox.contacts import sandbox_phone_of
from sandbox.services.page import sandbox_page_logged_in_device
from sandbox.services.page_url import sandbox_page_token
from sandbox.views import page_device_token, page_endpoint, page_json_body
from yesapp.errors import NotFound


def _logged_in(request: HttpRequest, session) -> None:
    sandbox_page_logged_in_device(session=session, device_token=page_device_token(request))


@page_endpoint(("GET",))
def contacts(request: HttpRequest, session) -> HttpResponse:
    """`WPP.contact.list()`."""
    _logged_in(request, session)
    return JsonResponse({"contacts": directory.sandbox_contact_list(session=session)})


@page_endpoint(("GET",))
def contact(request: HttpRequest, session) -> HttpResponse:
    """`WPP.contact.get(id)`, with what getStatus and getProfilePictureUrl answer for them."""
    _logged_in(request, session)
    found = directory.sandbox_contact_for_id(session=session, contact_id=request.GET.get("id", ""))
    if found is None:
        return JsonResponse({"contact": None})
    picture = None
    if found.picture:
        path = reverse(
            "sandbox:picture", kwargs={"session_id": session.pk, "digits": found.phone.lstrip("+")}
        )
        picture = request.build_absolute_uri(f"{path}?token={sandbox_page_token(session_id=session.pk)}")
    return JsonResponse(
        {"contact": directory.contact_model(found), "status": found.about or None, "pictureUrl": picture}
    )


@page_endpoint(("GET",))
def picture(request: HttpRequest, session, digits: str) -> HttpResponse:
    """The picture getProfilePictureUrl points to (WhatsApp's CDN stands here)."""
    phone = sandbox_phone_of(f"{digits}@c.us")
    found = directory.sandbox_contact_for_id(session=session, contact_id=f"{digits}@c.us") if phone else None
    if found is None or not found.picture:
        raise NotFound("No such profile picture.")
    response = HttpResponse(directory.picture_png(found.phone), content_type="image/png")
    response["Cache-Control"] = "no-store"
    return response


@page_endpoint(("POST",))
def block(request: HttpRequest, session) -> HttpResponse:
    """`WPP.blocklist.blockContact` / `unblockContact` (`{id, block}`)."""
    _logged_in(request, session)
    data = page_json_body(request)
    answer = directory.sandbox_set_blocked(
        session=session, contact_id=str(data.get("id") or ""), blocked=bool(data.get("block"))
    )
    answer["all"] = directory.sandbox_blocked_ids(session_id=session.pk)
    return JsonResponse(answer)


@page_endpoint(("GET",))
def blocklist(request: HttpRequest, session) -> HttpResponse:
    """What `WPP.blocklist.all()` answers from: the page loads it at login and after each block."""
    _logged_in(request, session)
    return JsonResponse({"ids": directory.sandbox_blocked_ids(session_id=session.pk)})
