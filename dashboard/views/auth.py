"""Sign in (staff user or API key) and sign out."""

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from dashboard import auth
from dashboard.forms import KeySignInForm, PasswordSignInForm
from yesapp.errors import ServiceUnavailable, TooManyRequests


@require_http_methods(["GET", "POST"])
def login(request: HttpRequest) -> HttpResponse:
    home = reverse("dashboard:sessions")
    if request.method == "GET" and auth.viewer_for_request(request) is not None:
        return HttpResponseRedirect(auth.safe_next(request, home))
    key_form, password_form = KeySignInForm(prefix="key"), PasswordSignInForm(prefix="user")
    error, status = request.session.pop(auth.SESSION_SIGNED_OUT_REASON, ""), 200
    active = "key"
    if request.method == "POST":
        try:
            if request.POST.get("method") == "password":
                active = "password"
                password_form = PasswordSignInForm(request.POST, prefix="user")
                if password_form.is_valid() and auth.sign_in_with_password(
                    request, **password_form.cleaned_data
                ):
                    return HttpResponseRedirect(auth.safe_next(request, home))
                error = "Wrong username or password, or this user has no staff access."
            else:
                key_form = KeySignInForm(request.POST, prefix="key")
                if key_form.is_valid() and auth.sign_in_with_key(
                    request, raw_key=key_form.cleaned_data["api_key"]
                ):
                    return HttpResponseRedirect(auth.safe_next(request, home))
                error = "This API key is wrong or revoked."
        except (TooManyRequests, ServiceUnavailable) as exc:
            error, status = exc.message, exc.status_code
        else:
            status = 400
    context = {
        "key_form": key_form,
        "password_form": password_form,
        "error": error,
        "active": active,
        "next": auth.safe_next(request, ""),
    }
    return render(request, "dashboard/login.html", context, status=status)


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    auth.sign_out(request)
    return HttpResponseRedirect(reverse("dashboard:login"))
