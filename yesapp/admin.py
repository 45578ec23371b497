from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from yesapp.apikeys import apikey_create, apikey_revoke_key
from yesapp.authentication import client_address, password_attempt_check, record_password_failure
from yesapp.errors import ServiceUnavailable, TooManyRequests
from yesapp.models import ApiKey

# The admin is YesApp's, not a generic Django site. Its nav sidebar is off: it repeats the
# index's list of models and took a fifth of a 1400-pixel window, cutting the lists' last column.
admin.site.site_header = "YesApp administration"
admin.site.site_title = "YesApp admin"
admin.site.index_title = "Sessions, messages, webhooks and API keys"
admin.site.enable_nav_sidebar = False


class ApiKeyForm(forms.ModelForm):
    class Meta:
        model = ApiKey
        fields = ("name", "is_admin", "sessions")

    def clean(self) -> dict:
        data = super().clean()
        if data.get("is_admin") and data.get("sessions"):
            raise forms.ValidationError(
                "A key limited to some sessions is never an admin key: untick admin, or pick no session."
            )
        if not data.get("is_admin") and not data.get("sessions"):
            raise forms.ValidationError("Pick the sessions this key may use, or make it an admin key.")
        return data


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("name", "prefix", "scope", "created_at", "last_used_at", "revoked_at")
    list_filter = ("is_admin", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("name", "prefix")
    readonly_fields = ("prefix", "created_at", "last_used_at", "revoked_at")
    fields = ("name", "prefix", "is_admin", "sessions", "created_at", "last_used_at", "revoked_at")
    filter_horizontal = ("sessions",)
    actions = ["revoke"]

    form = ApiKeyForm  # adding or changing, a key is admin or limited to sessions

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("sessions")

    @admin.display(description="Sessions")
    def scope(self, key: ApiKey) -> str:
        if key.is_admin:
            return "All (admin)"
        return ", ".join(sorted(session.name for session in key.sessions.all())) or "None"

    # --- adding: the same service as the API and createapikey; the key is shown once --------
    def get_fields(self, request, obj=None):
        return ApiKeyForm.Meta.fields if obj is None else self.fields

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def save_model(self, request, obj, form, change) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        key, raw_key = apikey_create(
            name=form.cleaned_data["name"],
            is_admin=form.cleaned_data["is_admin"],
            session_ids=[session.pk for session in form.cleaned_data["sessions"]],
        )
        # The admin logs and links the object it was given: make it the key just created.
        for field in ApiKey._meta.concrete_fields:
            setattr(obj, field.attname, getattr(key, field.attname))
        obj._state.adding = False
        request.yesapp_new_key = raw_key  # for response_add only: never stored anywhere

    def save_related(self, request, form, formsets, change) -> None:
        if change:  # on add, apikey_create already set the sessions
            super().save_related(request, form, formsets, change)

    def response_add(self, request, obj, post_url_continue=None) -> HttpResponse:
        # The key goes into this page only: not into a message, which the session would keep.
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "key": obj,
            "raw_key": request.yesapp_new_key,
            "title": "API key created",
        }
        return TemplateResponse(request, "admin/yesapp/apikey/created.html", context)

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request, queryset):
        keys = list(queryset.filter(revoked_at__isnull=True))
        for key in keys:
            apikey_revoke_key(key=key)
        self.message_user(request, f"Revoked {len(keys)} key(s).", messages.SUCCESS)


def throttled_admin_login(request: HttpRequest, extra_context=None) -> HttpResponse:
    """The admin's sign-in, under the same limits on failed passwords (per address and per user
    name, refused while Redis is down) as the dashboard's: otherwise it would be the one place
    to guess staff passwords."""
    if request.method != "POST":
        return admin.site.login(request, extra_context)
    address = client_address(request)
    username = request.POST.get("username", "")
    try:
        password_attempt_check(address=address, username=username)
    except (TooManyRequests, ServiceUnavailable) as exc:
        response = HttpResponse(exc.message, status=exc.status_code, content_type="text/plain; charset=utf-8")
        if isinstance(exc, TooManyRequests):
            response["Retry-After"] = str(exc.retry_after)
        return response
    response = admin.site.login(request, extra_context)
    # A sign-in that worked redirects; the form again means it failed, also for a browser
    # already signed in as someone else (its request.user is staff either way).
    if response.status_code != 302:
        record_password_failure(address=address, username=username)
    return response
