from django import forms
from django.conf import settings
from django.contrib import admin, messages

from webhooks.models import (
    DeliveryStatus,
    WebhookConfig,
    WebhookDelivery,
    WebhookDeliveryAttempt,
    WebhookSource,
)
from webhooks.outbox import webhook_delivery_retry
from yesapp.errors import InvalidInput, ServiceError
from yesapp.outbound_address import validate_public_url


class WebhookConfigForm(forms.ModelForm):
    url = forms.URLField(max_length=2000, assume_scheme="https")

    class Meta:
        model = WebhookConfig
        # Never the secret: it is shown once, by the API, when it is generated.
        fields = ("session", "url", "events", "headers", "ordered", "is_active")

    def clean_url(self) -> str:
        # The same rule as the API: an admin edit must not point a webhook at a private address.
        try:
            return validate_public_url(self.cleaned_data["url"], allow_private=settings.WEBHOOK_ALLOW_PRIVATE)
        except InvalidInput as exc:
            raise forms.ValidationError(exc.message) from exc


@admin.register(WebhookConfig)
class WebhookConfigAdmin(admin.ModelAdmin):
    form = WebhookConfigForm
    list_display = (
        "__str__", "session", "source", "format", "url", "event_list", "ordered", "is_active", "updated_at",
    )  # fmt: skip
    list_filter = ("source", "format", "ordered", "is_active")
    search_fields = ("url", "session__name")
    # The format's event names and options are checked by the API, which owns those rules.
    readonly_fields = ("uuid", "source", "format", "created_at", "updated_at")
    raw_id_fields = ("session",)

    def has_add_permission(self, request) -> bool:
        # Webhooks are made through the API (which validates the URL and makes the secret).
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        # The default webhook follows WEBHOOK_URL; unset that to remove it.
        return obj is None or obj.source != WebhookSource.ENV


class WebhookDeliveryAttemptInline(admin.TabularInline):
    model = WebhookDeliveryAttempt
    extra = 0
    can_delete = False
    fields = (
        "number",
        "started_at",
        "duration_ms",
        "status_code",
        "outcome",
        "error",
        "response_excerpt",
        "url",
    )
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = (
        "uuid",
        "event",
        "session",
        "status",
        "attempts",
        "last_status_code",
        "created_at",
        "finished_at",
    )
    list_filter = ("status", "event", "config__source")
    search_fields = ("uuid", "session__name")
    list_select_related = ("session",)
    readonly_fields = [field.name for field in WebhookDelivery._meta.fields]
    inlines = [WebhookDeliveryAttemptInline]
    actions = ["retry_selected"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description="Retry the selected deliveries")
    def retry_selected(self, request, queryset):
        retried, skipped = 0, 0
        for delivery in queryset.exclude(status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENDING]):
            try:
                webhook_delivery_retry(delivery=delivery)
                retried += 1
            except ServiceError:
                skipped += 1
        skipped += queryset.filter(status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENDING]).count()
        self.message_user(request, f"Queued {retried} delivery(ies) again.", messages.SUCCESS)
        if skipped:
            self.message_user(request, f"Skipped {skipped} still pending or being sent.", messages.WARNING)
