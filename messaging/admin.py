from django.contrib import admin

from messaging.models import Message


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    """Read-mostly: operators look up why a message failed; the API and the engine write."""

    list_display = (
        "created_at",
        "session",
        "direction",
        "type",
        "chat_id",
        "status",
        "error_code",
        "from_phone",
    )
    list_filter = ("direction", "status", "type", "from_phone", "media_status", "session")
    search_fields = ("=id", "wa_id", "chat_id", "phone", "idempotency_key", "text")
    date_hierarchy = "created_at"
    list_select_related = ("session",)
    readonly_fields = [field.name for field in Message._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
