from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse

from yesapp.apikeys import apikey_revoke_key
from yesapp.authentication import auth_failures_retry_after, client_address, record_auth_failure
from yesapp.models import ApiKey


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("name", "prefix", "is_admin", "created_at", "last_used_at", "revoked_at")
    list_filter = ("is_admin", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("name", "prefix")
    readonly_fields = ("prefix", "created_at", "last_used_at", "revoked_at")
    fields = ("name", "prefix", "is_admin", "sessions", "created_at", "last_used_at", "revoked_at")
    filter_horizontal = ("sessions",)
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        # A key is shown once when made; `manage.py createapikey` or the API makes them.
        return False

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request, queryset):
        keys = list(queryset.filter(revoked_at__isnull=True))
        for key in keys:
            apikey_revoke_key(key=key)
        self.message_user(request, f"Revoked {len(keys)} key(s).", messages.SUCCESS)


def throttled_admin_login(request: HttpRequest, extra_context=None) -> HttpResponse:
    """The admin's sign-in, under the same per-address limit of failed attempts as API keys and
    the dashboard's forms: otherwise it would be the one place to guess staff passwords."""
    if request.method != "POST":
        return admin.site.login(request, extra_context)
    address = client_address(request)
    retry_after = auth_failures_retry_after(address)
    if retry_after is not None:
        response = HttpResponse(
            f"Too many failed sign-in attempts from your address; wait {retry_after} s and retry.",
            status=429,
            content_type="text/plain; charset=utf-8",
        )
        response["Retry-After"] = str(retry_after)
        return response
    response = admin.site.login(request, extra_context)
    if not (request.user.is_authenticated and request.user.is_staff):
        record_auth_failure(address)
    return response
