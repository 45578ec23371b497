from django.contrib import admin, messages

from yesapp.apikeys import apikey_revoke_key
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
