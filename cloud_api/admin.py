from django.contrib import admin

from cloud_api.models import UploadedMedia


@admin.register(UploadedMedia)
class UploadedMediaAdmin(admin.ModelAdmin):
    list_display = ("id", "session", "filename", "mimetype", "size", "created_at")
    list_filter = ("kind",)
    readonly_fields = [field.name for field in UploadedMedia._meta.fields]
    search_fields = ("id", "filename", "sha256")

    def has_add_permission(self, request) -> bool:
        return False
