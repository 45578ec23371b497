from django.contrib import admin

from events.models import Event


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    """Read-only: the log records what happened."""

    list_display = ("id", "name", "session", "created_at")
    list_filter = ("name",)
    search_fields = ("=id", "=session__id")
    readonly_fields = ("id", "session", "name", "body", "created_at")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
