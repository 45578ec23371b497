"""Admin views of calls: the per-session setting (editable, as from the API) and the calls
that rang (read-only: they are what WhatsApp reported)."""

from django.contrib import admin

from calls.models import Call, CallSettings


@admin.register(CallSettings)
class CallSettingsAdmin(admin.ModelAdmin):
    list_display = ("session", "reject_calls", "updated_at")
    list_select_related = ("session",)
    readonly_fields = ("session", "updated_at")

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Call)
class CallAdmin(admin.ModelAdmin):
    list_display = ("call_id", "caller", "is_video", "is_group", "rejected", "session", "received_at")
    search_fields = ("call_id", "caller", "session__name")
    list_select_related = ("session",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
