"""The dashboard's forms. They check what a person typed; the services check it again and do
the work, exactly as for an API call."""

import re

from django import forms
from django.conf import settings

from messaging.sending_policy import PRESETS
from yesapp.errors import InvalidInput
from yesapp.events import ALL_EVENTS
from yesapp.validators import normalize_phone

# The same rule the browser applies (static/dashboard/app.js and the inputs' `pattern`).
E164_PATTERN = r"\+[1-9][0-9]{6,14}"
_E164 = re.compile(rf"^{E164_PATTERN}$")
E164_HINT = "Use international format: + then country code and number, e.g. +33612345678."


class E164Field(forms.CharField):
    """A phone number typed in E.164; normalized and checked for validity (libphonenumber)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 32)  # room for spaces; the compact number is checked below
        kwargs.setdefault(
            "widget",
            forms.TextInput(
                attrs={
                    "type": "tel",
                    "inputmode": "tel",
                    "pattern": E164_PATTERN,
                    "placeholder": "+33612345678",
                    "autocomplete": "off",
                    "data-e164": "",
                }
            ),
        )
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return value
        compact = re.sub(r"[\s\-().]", "", value)
        if not _E164.match(compact):
            raise forms.ValidationError(E164_HINT)
        try:
            return normalize_phone(compact)
        except InvalidInput as exc:
            raise forms.ValidationError(exc.message) from exc


class KeySignInForm(forms.Form):
    api_key = forms.CharField(
        label="API key",
        max_length=256,
        strip=True,
        # Never echoed back into the page, not even after a failed attempt.
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


class PasswordSignInForm(forms.Form):
    username = forms.CharField(max_length=150, widget=forms.TextInput(attrs={"autocomplete": "username"}))
    password = forms.CharField(widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))


class SessionCreateForm(forms.Form):
    name = forms.CharField(max_length=100, widget=forms.TextInput(attrs={"placeholder": "support"}))
    kind = forms.ChoiceField(
        choices=[("sandbox", "Sandbox (simulated phone)"), ("whatsapp", "WhatsApp (real phone)")],
        initial="sandbox",
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not settings.SANDBOX_ENABLED:
            self.fields["kind"].choices = [("whatsapp", "WhatsApp (real phone)")]
            self.fields["kind"].initial = "whatsapp"


class TextOrFileForm(forms.Form):
    """A message: text, a file, or both (the text is then the caption)."""

    def clean(self):
        data = super().clean()
        if not (data.get("text") or "").strip() and not data.get("file"):
            raise forms.ValidationError("Write a message or attach a file.")
        return data


class SendForm(TextOrFileForm):
    to = E164Field(label="To")
    text = forms.CharField(
        required=False, max_length=65536, widget=forms.Textarea(attrs={"rows": 3, "placeholder": "Message"})
    )
    file = forms.FileField(required=False, label="File (optional)")
    queue = forms.BooleanField(required=False, label="Keep it queued if the session is not connected")


class ContactCheckForm(forms.Form):
    phone = E164Field(label="Phone number")


class PairingCodeForm(forms.Form):
    phone = E164Field(label="Phone number")


class WebhookForm(forms.Form):
    url = forms.URLField(
        label="URL",
        max_length=2000,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"placeholder": "https://example.com/whatsapp"}),
    )
    events = forms.MultipleChoiceField(
        required=False,
        choices=[(event, event) for event in ALL_EVENTS],
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked means every event, including ones added later.",
    )


class SandboxLinkForm(forms.Form):
    # Both forms of the sandbox phone page have a `name`: their own ids keep each label on its field.
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "link-%s")
        super().__init__(*args, **kwargs)

    phone = E164Field(label="The sandbox phone's number", initial="+14155550123")
    name = forms.CharField(max_length=100, required=False, initial="Sandbox phone")
    code = forms.CharField(
        max_length=9,
        required=False,
        label="Pairing code (instead of the QR)",
        widget=forms.TextInput(
            attrs={"placeholder": "K3ZP9QWA", "autocomplete": "off", "spellcheck": "false"}
        ),
    )

    def clean_code(self) -> str:
        return self.cleaned_data["code"].replace("-", "").replace(" ", "").upper()


class SandboxInboundForm(TextOrFileForm):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "inbound-%s")
        super().__init__(*args, **kwargs)

    from_phone = E164Field(label="Contact's number", initial="+14155550142")
    name = forms.CharField(max_length=100, required=False, initial="Alice", label="Contact's name")
    text = forms.CharField(
        required=False, max_length=65536, widget=forms.Textarea(attrs={"rows": 2, "placeholder": "Message"})
    )
    file = forms.FileField(required=False, label="File (optional)")


class SendingPolicyForm(forms.Form):
    """The sending policy's fields as a form; values are checked by the API's serializer
    (dashboard.views.sending_policy), so both refuse the same things."""

    preset = forms.ChoiceField(
        choices=[(name, name) for name in PRESETS],
        help_text="Choosing another preset applies its values; change fields after saving it.",
    )
    typing = forms.BooleanField(required=False, label='Show "typing…" first')
    readBeforeReply = forms.BooleanField(required=False, label="Read a chat before replying")
    checkNumberFirst = forms.BooleanField(required=False, label="Check a new number is on WhatsApp")
    warmup = forms.BooleanField(required=False, label="Warm-up (new number)")
    jitter_min = forms.FloatField(required=False, min_value=0, max_value=600, label="Gap min (s)")
    jitter_max = forms.FloatField(required=False, min_value=0, max_value=600, label="Gap max (s)")
    perMinute = forms.IntegerField(required=False, min_value=1, label="Per minute")
    perHour = forms.IntegerField(required=False, min_value=1, label="Per hour")
    perDay = forms.IntegerField(required=False, min_value=1, label="Per day")
    newChatsPerDay = forms.IntegerField(required=False, min_value=1, label="New chats per day")
    quiet_start = forms.CharField(required=False, max_length=5, label="Quiet from (HH:MM)")
    quiet_end = forms.CharField(required=False, max_length=5, label="Quiet until (HH:MM)")
    quiet_zone = forms.CharField(required=False, max_length=64, label="Time zone", initial="UTC")

    @staticmethod
    def initial_from(policy: dict) -> dict:
        jitter, quiet = policy["jitter"] or [None, None], policy["quietHours"] or {}
        return {
            **{name: policy[name] for name in PRESETS["off"] if name not in ("jitter", "quietHours")},
            "preset": policy["preset"],
            "jitter_min": jitter[0],
            "jitter_max": jitter[1],
            "quiet_start": quiet.get("start", ""),
            "quiet_end": quiet.get("end", ""),
            "quiet_zone": quiet.get("timeZone", "UTC"),
        }

    def policy_fields(self) -> dict:
        """The API's flat object: empty caps are null, no quiet window without both ends."""
        data = self.cleaned_data
        fields = {name: data[name] for name in ("typing", "readBeforeReply", "checkNumberFirst", "warmup")}
        fields |= {name: data[name] for name in ("perMinute", "perHour", "perDay", "newChatsPerDay")}
        jitter = [data["jitter_min"], data["jitter_max"]]
        fields["jitter"] = None if None in jitter else jitter
        quiet = {
            "start": data["quiet_start"],
            "end": data["quiet_end"],
            "timeZone": data["quiet_zone"] or "UTC",
        }
        fields["quietHours"] = quiet if quiet["start"] or quiet["end"] else None
        return fields
