from django import forms
from django.contrib import admin

from messaging.api.policy_serializers import SendingPolicyInputSerializer
from messaging.models import Contact, Message, SendingPolicy
from messaging.sending_policy import FIELDS, PRESETS


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


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    """Read-only: a contact is what the session's WhatsApp last said of a person (the page
    writes it); operators look one up by number, name or @lid."""

    list_display = ("session", "wa_id", "phone", "name", "push_name", "business", "blocked", "listed_at")
    list_filter = ("business", "my_contact", "blocked", "session")
    search_fields = ("=wa_id", "phone", "lid", "name", "push_name")
    list_select_related = ("session",)
    readonly_fields = [field.name for field in Contact._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class SendingPolicyForm(forms.ModelForm):
    class Meta:
        model = SendingPolicy
        fields = ("session", "preset", "overrides")

    def clean_overrides(self):
        """The API's own checks, so the admin cannot store what the API would refuse."""
        overrides = self.cleaned_data["overrides"] or {}
        data = SendingPolicyInputSerializer(data=overrides, partial=True)
        if not isinstance(overrides, dict) or not data.is_valid():
            raise forms.ValidationError(f"Not a valid policy: {getattr(data, 'errors', overrides)}")
        unknown = set(overrides) - set(FIELDS)
        if unknown:
            raise forms.ValidationError(f"Unknown fields: {', '.join(sorted(unknown))}.")
        return dict(data.validated_data)


@admin.register(SendingPolicy)
class SendingPolicyAdmin(admin.ModelAdmin):
    """A session's sending policy: its preset and the fields set otherwise (messaging.sending_policy).
    `overrides` uses the API's names, e.g. {"perDay": 300, "quietHours": {"start": "21:00", "end":
    "08:00", "timeZone": "Europe/Paris"}}; the API and the dashboard check the values."""

    form = SendingPolicyForm
    list_display = ("session", "preset", "overrides", "updated_at")
    list_filter = ("preset",)
    search_fields = ("session__name",)
    list_select_related = ("session",)
    readonly_fields = ("updated_at",)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "preset":
            kwargs["widget"] = forms.Select(choices=[(name, name) for name in PRESETS])
        return super().formfield_for_dbfield(db_field, request, **kwargs)
