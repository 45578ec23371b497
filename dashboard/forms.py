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
    reply_to = forms.CharField(
        required=False,
        max_length=200,
        label="Reply to (optional: a message id from the log)",
        widget=forms.TextInput(attrs={"placeholder": "9b2f3c1a-…"}),
    )


class ChatReplyForm(TextOrFileForm):
    """The reply box of the Chats page: the chat is the page's."""

    text = forms.CharField(
        required=False,
        max_length=65536,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "Write a reply", "aria-label": "Reply"}),
    )
    file = forms.FileField(required=False, label="Attach a file")
    reply_to = forms.CharField(required=False, max_length=200, widget=forms.HiddenInput)


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
    voice = forms.BooleanField(required=False, label="Send the file as a voice note")
    reply_to = forms.CharField(
        required=False,
        max_length=120,
        label="Reply to (WhatsApp id, optional)",
        widget=forms.TextInput(attrs={"placeholder": "true_…@c.us_3EB0…"}),
    )
    mentions = forms.CharField(
        required=False,
        max_length=500,
        label="Mention (numbers, comma-separated)",
        widget=forms.TextInput(attrs={"placeholder": "+33611111111, +33622222222"}),
    )
    forwarded = forms.BooleanField(required=False, label="Mark it forwarded")

    def clean_mentions(self) -> list[str]:
        return [part.strip() for part in self.cleaned_data["mentions"].split(",") if part.strip()]


class SandboxActForm(forms.Form):
    """The contact acts on a message: react, vote in a poll, edit or delete theirs."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "act-%s")
        super().__init__(*args, **kwargs)

    wa_id = forms.CharField(max_length=120, label="Message (WhatsApp id)")
    act = forms.ChoiceField(
        choices=[
            ("react", "React with an emoji (empty: take it back)"),
            ("vote", "Vote (options, comma-separated; empty: take it back)"),
            ("edit", "Edit their message to this text"),
            ("revoke", "Delete their message for everyone"),
        ]
    )
    value = forms.CharField(required=False, max_length=4096, label="Emoji, options or text")


class SandboxPresenceForm(forms.Form):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "presence-%s")
        super().__init__(*args, **kwargs)

    from_phone = E164Field(label="Contact's number", initial="+14155550142")
    state = forms.ChoiceField(
        choices=[("typing", "typing…"), ("recording", "recording…"), ("paused", "stopped")]
    )


class SandboxShareForm(forms.Form):
    """The contact sends a location, a contact card or a poll."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "share-%s")
        super().__init__(*args, **kwargs)

    from_phone = E164Field(label="Contact's number", initial="+14155550142")
    kind = forms.ChoiceField(
        choices=[("location", "A location"), ("contact", "A contact card"), ("poll", "A poll")]
    )
    title = forms.CharField(max_length=255, label="Place name, contact's name, or the poll's question")
    detail = forms.CharField(
        required=False,
        max_length=2000,
        label="Latitude, longitude · the card's number · the options, comma-separated",
        widget=forms.TextInput(attrs={"placeholder": "48.8584, 2.2945"}),
    )


# --- groups and calls ---------------------------------------------------------------------------

GROUP_ACTIONS = [
    ("add", "Add"),
    ("remove", "Remove"),
    ("promote", "Make admin"),
    ("demote", "Dismiss as admin"),
]


class GroupCreateForm(forms.Form):
    subject = forms.CharField(label="Subject", max_length=100)
    participants = forms.CharField(
        label="People", max_length=2000, help_text="Phone numbers, separated by commas or spaces."
    )

    def clean_participants(self):
        phones = []
        for value in re.split(r"[\s,;]+", self.cleaned_data["participants"].strip()):
            if not value:
                continue
            try:
                phones.append(normalize_phone(value))
            except InvalidInput as exc:
                raise forms.ValidationError(f"{value}: {E164_HINT}") from exc
        if not phones:
            raise forms.ValidationError("Name at least one person.")
        return phones[:50]


class GroupMemberForm(forms.Form):
    action = forms.ChoiceField(choices=GROUP_ACTIONS)
    person = forms.CharField(label="Phone number or lid", max_length=40)

    def clean_person(self):
        value = self.cleaned_data["person"].strip()
        if re.fullmatch(r"\d{5,20}@lid", value):
            return value
        try:
            return normalize_phone(value)
        except InvalidInput as exc:
            raise forms.ValidationError(E164_HINT) from exc


class CallSettingsForm(forms.Form):
    reject_calls = forms.BooleanField(label="Reject calls automatically", required=False)
    reject_message = forms.CharField(
        label="Then send the caller",
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class SandboxGroupForm(forms.Form):
    owner = E164Field(label="Created by")
    subject = forms.CharField(label="Subject", max_length=100)
    participants = forms.CharField(label="Other members", max_length=2000, required=False)
    with_session = forms.BooleanField(label="Add the session", required=False, initial=True)
    lid_addressing = forms.BooleanField(label="Show members by lid", required=False)


class SandboxGroupWriteForm(forms.Form):
    group_id = forms.CharField(label="Group", max_length=40)
    from_phone = E164Field(label="Member")
    text = forms.CharField(label="Text", max_length=4096)


class SandboxGroupMemberForm(forms.Form):
    group_id = forms.CharField(label="Group", max_length=40)
    by = E164Field(label="Admin")
    action = forms.ChoiceField(choices=GROUP_ACTIONS)
    person = E164Field(label="Person (the session's own number to add or remove it)")


class SandboxRingForm(forms.Form):
    from_phone = E164Field(label="Caller")
    video = forms.BooleanField(label="Video", required=False)
    group_id = forms.CharField(label="From the group", max_length=40, required=False)


class SandboxProfileForm(forms.Form):
    """A simulated contact's profile and chat state, as the sandbox API's PUT .../contacts/{phone}."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "profile-%s")
        super().__init__(*args, **kwargs)

    phone = E164Field(label="Contact's number", initial="+14155550142")
    saved_name = forms.CharField(max_length=100, required=False, label="Saved as (address book)")
    about = forms.CharField(max_length=200, required=False, label="About")
    business = forms.BooleanField(required=False, label="Business account")
    picture = forms.BooleanField(required=False, label="Has a profile picture")
    pinned = forms.BooleanField(required=False, label="Chat pinned")
    archived = forms.BooleanField(required=False, label="Chat archived")


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
