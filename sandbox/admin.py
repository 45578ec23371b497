"""Admin views of the sandbox. Devices, messages and events are read-only: editing a cursor,
a token or an ack by hand would desynchronise the page from the simulated WhatsApp."""

from django.contrib import admin

from sandbox.models import (
    SandboxCall,
    SandboxContact,
    SandboxDevice,
    SandboxEvent,
    SandboxGroup,
    SandboxMessage,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SandboxDevice)
class SandboxDeviceAdmin(ReadOnlyAdmin):
    list_display = (
        "session",
        "phone",
        "push_name",
        "linked_at",
        "page_seen_at",
        "page_logged_in",
        "last_cursor",
    )
    search_fields = ("session__name", "phone")
    exclude = ("device_token", "qr_code", "pairing_code")


@admin.register(SandboxContact)
class SandboxContactAdmin(admin.ModelAdmin):
    list_display = ("phone", "name", "session", "created_at")
    search_fields = ("phone", "name", "session__name")
    list_select_related = ("session",)
    # Only the push name is safe to edit; the number ties the contact to its messages.
    readonly_fields = ("session", "phone", "created_at")

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(SandboxMessage)
class SandboxMessageAdmin(ReadOnlyAdmin):
    list_display = ("wa_id", "direction", "type", "ack", "session", "created_at")
    list_filter = ("direction", "type", "ack")
    search_fields = ("wa_id", "chat_id", "text", "session__name")
    list_select_related = ("session",)


@admin.register(SandboxEvent)
class SandboxEventAdmin(ReadOnlyAdmin):
    list_display = ("session", "cursor", "kind", "message", "ack", "created_at")
    list_filter = ("kind",)
    list_select_related = ("session", "message")


@admin.register(SandboxGroup)
class SandboxGroupAdmin(ReadOnlyAdmin):
    list_display = ("subject", "gid", "session", "announce", "restrict", "created_at")
    search_fields = ("subject", "gid", "session__name")
    list_select_related = ("session",)


@admin.register(SandboxCall)
class SandboxCallAdmin(ReadOnlyAdmin):
    list_display = ("call_id", "caller", "group", "is_video", "rejected_at", "session", "created_at")
    search_fields = ("call_id", "caller", "session__name")
    list_select_related = ("session",)
