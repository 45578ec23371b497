"""How dashboard actions answer: JSON for our own script (shown as a toast), or a redirect with
a flash message when a form was posted without JavaScript."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse

from dashboard.auth import is_fetch
from yesapp.errors import ServiceError


def reply(
    request: HttpRequest,
    *,
    ok: bool,
    message: str,
    redirect_to: str,
    status: int | None = None,
    follow: bool = False,
    **extra: Any,
) -> HttpResponse:
    """`follow` makes the script go to `redirect_to` too (after a delete, say)."""
    if is_fetch(request):
        body = {"ok": ok, "message": message, **extra}
        if follow:
            body["redirect"] = redirect_to
        return JsonResponse(body, status=status or (200 if ok else 400))
    messages.add_message(request, messages.SUCCESS if ok else messages.ERROR, message)
    return HttpResponseRedirect(redirect_to)


def form_error_message(form: forms.Form) -> str:
    """The form's first error, with the field's label, as one sentence for a toast."""
    for name, errors in form.errors.items():
        if name == forms.forms.NON_FIELD_ERRORS:
            return errors[0]
        label = form.fields[name].label or name.replace("_", " ").capitalize()
        return f"{label}: {errors[0]}"
    return "Check the form."


def form_errors(form: forms.Form) -> dict[str, list[str]]:
    return {name: list(errors) for name, errors in form.errors.items()}


def invalid_form(request: HttpRequest, form: forms.Form, *, redirect_to: str) -> HttpResponse:
    """400 with the first error as the toast and every field's errors for the form."""
    return reply(
        request, ok=False, message=form_error_message(form), redirect_to=redirect_to, errors=form_errors(form)
    )


def run_service(
    request: HttpRequest,
    call: Callable[[], Any],
    *,
    success: str | Callable[[Any], str],
    redirect_to: str,
    **extra,
) -> HttpResponse:
    """Runs one service call and answers with its success message or the service's own error
    (the same words and status the API would give)."""
    try:
        result = call()
    except ServiceError as exc:
        return reply(
            request,
            ok=False,
            message=exc.message,
            redirect_to=redirect_to,
            status=exc.status_code,
            code=exc.code,
        )
    text = success(result) if callable(success) else success
    return reply(request, ok=True, message=text, redirect_to=redirect_to, **extra)


def run_form(
    request: HttpRequest,
    form: forms.Form,
    call: Callable[[dict], Any],
    *,
    success: str | Callable[[dict, Any], str],
    redirect_to: str,
) -> HttpResponse:
    """A posted form: its errors (400) when it is invalid, else `call(cleaned_data)` answered as
    run_service answers; `success` may read the form's data and the call's result."""
    if not form.is_valid():
        return invalid_form(request, form, redirect_to=redirect_to)
    data = form.cleaned_data
    return run_service(
        request,
        lambda: call(data),
        success=(lambda result: success(data, result)) if callable(success) else success,
        redirect_to=redirect_to,
    )
