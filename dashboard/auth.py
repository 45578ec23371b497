"""Who is looking at the dashboard: a staff user, or an API key pasted into the sign-in form.

Both become a `Viewer` whose `key` is what the API's selectors take, so the dashboard sees
exactly what the same key would see through the API. Only the ApiKey's primary key is kept in
the Django session, never the key itself; it is looked up again on every request, so a
revoked key's dashboard session ends on its next request.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import auth
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from rest_framework import authentication

from yesapp.apikeys import apikey_authenticate
from yesapp.authentication import (
    auth_failures_retry_after,
    client_address,
    password_attempt_check,
    record_auth_failure,
    record_password_failure,
)
from yesapp.errors import TooManyRequests
from yesapp.models import ApiKey

SESSION_KEY_ID = "dashboard_api_key_id"
# Why the last request was sent back to the sign-in page; shown there once.
SESSION_SIGNED_OUT_REASON = "dashboard_signed_out_reason"


@dataclass(frozen=True)
class Viewer:
    """The signed-in principal. `key` scopes every read and write like an API key would."""

    key: ApiKey
    label: str
    user: AbstractBaseUser | None = None

    @property
    def is_admin(self) -> bool:
        return self.key.is_admin

    @property
    def is_staff_user(self) -> bool:
        return self.user is not None

    def may(self, perm: str) -> bool:
        """A staff user may do what their Django permissions allow (`sessions_app.change_session`,
        `messaging.view_message`...); an API key what its scope allows (checked by the selectors)."""
        return self.user is None or self.user.has_perm(perm)

    @property
    def can(self) -> dict[str, bool]:
        """For templates: which parts of the dashboard this viewer may see or use."""
        return {name: self.may(perm) for name, perm in PERMS.items()}


# What each part of the dashboard needs from a staff user, by Django permission.
PERMS = {
    "view_session": "sessions_app.view_session",
    "add_session": "sessions_app.add_session",
    "change_session": "sessions_app.change_session",
    "delete_session": "sessions_app.delete_session",
    "view_message": "messaging.view_message",
    "add_message": "messaging.add_message",
    "view_webhook": "webhooks.view_webhookconfig",
    "change_webhook": "webhooks.change_webhookconfig",
    "view_apikey": "yesapp.view_apikey",
}


def require_perm(request: HttpRequest, *names: str) -> None:
    """403 unless the viewer may do every one of `names` (keys of PERMS)."""
    for name in names:
        if not request.viewer.may(PERMS[name]):
            raise PermissionDenied(f"Your user lacks the permission {PERMS[name]} for this.")


def _staff_key(user: AbstractBaseUser) -> ApiKey:
    # A staff user sees everything, like an admin key. The selectors only look at `is_admin`
    # for admin keys, so an unsaved admin key is an exact stand-in; it is never saved.
    return ApiKey(name=f"user:{user.get_username()}", is_admin=True)


def viewer_for_request(request: HttpRequest) -> Viewer | None:
    """The viewer of this request, or None. Clears a dashboard session whose key was revoked."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.is_active and user.is_staff:
        return Viewer(key=_staff_key(user), label=user.get_username(), user=user)
    key_id = request.session.get(SESSION_KEY_ID)
    if key_id is None:
        return None
    key = ApiKey.objects.filter(pk=key_id, revoked_at__isnull=True).first()
    if key is None:
        request.session.flush()
        request.session[SESSION_SIGNED_OUT_REASON] = "Your API key was revoked; sign in with another one."
        return None
    return Viewer(key=key, label=f"key {key.name} ({key.prefix}…)")


def is_fetch(request: HttpRequest) -> bool:
    """Requests made by our own JavaScript (polling, forms sent with fetch)."""
    return request.headers.get("X-Requested-With") == "fetch"


def sign_in_redirect(request: HttpRequest) -> HttpResponse:
    """To the sign-in page, and back here afterwards."""
    if is_fetch(request):
        # The script reloads the page, which then lands on the sign-in form.
        return JsonResponse({"ok": False, "message": "Signed out.", "signedOut": True}, status=401)
    query = urlencode({"next": request.get_full_path()}) if request.method == "GET" else ""
    return HttpResponseRedirect(reverse("dashboard:login") + (f"?{query}" if query else ""))


def viewer_required(view=None, *, admin: bool = False, perm: str | tuple[str, ...] = "view_session"):
    """Puts the viewer on `request.viewer`, or sends the browser to the sign-in page.

    With `admin=True`, a key limited to some sessions gets 403 (like an admin-only API call).
    A staff user needs the Django permission(s) named by `perm` (keys of PERMS), else 403.
    """

    def decorate(func):
        @functools.wraps(func)
        def wrapper(request: HttpRequest, *args, **kwargs):
            viewer = viewer_for_request(request)
            if viewer is None:
                return sign_in_redirect(request)
            if admin and not viewer.is_admin:
                raise PermissionDenied("This needs an admin API key or a staff user.")
            request.viewer = viewer
            require_perm(request, *((perm,) if isinstance(perm, str) else perm))
            return func(request, *args, **kwargs)

        return wrapper

    return decorate(view) if view is not None else decorate


def _check_not_throttled(request: HttpRequest) -> str:
    address = client_address(request)
    retry_after = auth_failures_retry_after(address)
    if retry_after is not None:
        raise TooManyRequests(
            f"Too many failed sign-in attempts from your address; wait {retry_after} s and retry.",
            retry_after=retry_after,
        )
    return address


def sign_in_with_key(request: HttpRequest, *, raw_key: str) -> ApiKey | None:
    """Signs the browser in with an API key; None when the key is wrong or revoked.

    Failures count towards the same per-address limit as the API's, so the form is no
    easier to brute-force than the header; like there, a valid key is never refused.
    """
    key = apikey_authenticate((raw_key or "").strip())
    if key is None:
        record_auth_failure(_check_not_throttled(request))
        return None
    auth.logout(request)  # drops any previous user and rotates the session id
    request.session.cycle_key()
    request.session[SESSION_KEY_ID] = key.pk
    return key


def sign_in_with_password(request: HttpRequest, *, username: str, password: str) -> AbstractBaseUser | None:
    """Signs a staff user in; None for a wrong password or a user without staff access.

    Limited per address and per user name before the password is checked (TooManyRequests),
    and refused while Redis is down (ServiceUnavailable)."""
    address = client_address(request)
    password_attempt_check(address=address, username=username)
    user = auth.authenticate(request, username=username, password=password)
    if user is None or not user.is_staff:
        record_password_failure(address=address, username=username)
        return None
    request.session.pop(SESSION_KEY_ID, None)
    auth.login(request, user)  # rotates the session id
    return user


def sign_out(request: HttpRequest) -> None:
    auth.logout(request)  # flushes the whole session, the key id included


def safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


class DashboardSessionAuthentication(authentication.BaseAuthentication):
    """DRF authentication by the dashboard's sign-in, for reads only: it lets a signed-in
    browser load the API docs and schema. Never for writes (no CSRF check here)."""

    def authenticate(self, request):
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            return None
        viewer = viewer_for_request(request._request)
        return (viewer.user or AnonymousUser(), viewer.key) if viewer else None
