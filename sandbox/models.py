"""The sandbox's simulated WhatsApp: one phone/device per session, contacts, and messages.

The sandbox page (templates/sandbox/page.html + static/sandbox/wpp/) stands in for
WhatsApp Web; these rows are what WhatsApp's servers and the contacts' phones would hold.
Everything the page must learn about (a new message, a receipt) is a `SandboxEvent` with a
per-session cursor, so the page polls "everything after N" and nothing is skipped.
"""

from django.db import models

from sessions_app.models import Session


class SandboxDevice(models.Model):
    """The simulated phone of a session and the browser linked to it (the "linked device").

    `device_token` plays WhatsApp's stored credentials: the page keeps it in localStorage
    (inside the session's Chromium profile) and is logged in only while it matches.
    """

    session = models.OneToOneField(Session, on_delete=models.CASCADE, related_name="sandbox_device")
    phone = models.CharField(max_length=20, blank=True, help_text="Linked phone number, E.164.")
    push_name = models.CharField(max_length=100, blank=True)
    device_token = models.CharField(max_length=64, blank=True, help_text="Empty when no browser is linked.")
    linked_at = models.DateTimeField(null=True, blank=True)
    # The QR the page shows now; a scan links only a fresh, non-idle one.
    qr_ref = models.CharField(max_length=100, blank=True)
    qr_code = models.TextField(blank=True, help_text="fullCode of the QR the page shows.")
    qr_issued_at = models.DateTimeField(null=True, blank=True)
    qr_idle = models.BooleanField(default=False, help_text="The page stopped refreshing its QR.")
    pairing_code = models.CharField(max_length=8, blank=True)
    pairing_phone = models.CharField(max_length=20, blank=True)
    pairing_issued_at = models.DateTimeField(null=True, blank=True)
    # The QR ref (or pairing code) that was scanned: the page presenting it gets the token.
    link_ref = models.CharField(max_length=100, blank=True)
    page_seen_at = models.DateTimeField(null=True, blank=True, help_text="Last poll from the page.")
    page_logged_in = models.BooleanField(default=False, help_text="The last poll presented the valid token.")
    offline_until = models.DateTimeField(null=True, blank=True)
    last_cursor = models.BigIntegerField(default=0, help_text="Cursor of the newest event.")
    delivered_cursor = models.BigIntegerField(
        default=0, help_text="Events up to here reached the linked page."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"sandbox device of {self.session_id}"

    @property
    def is_linked(self) -> bool:
        return bool(self.device_token)

    @property
    def wid(self) -> str:
        return f"{self.phone.lstrip('+')}@c.us" if self.phone else ""


class SandboxContact(models.Model):
    """A simulated person who chats with the session; made on first use."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="sandbox_contacts")
    phone = models.CharField(max_length=20, help_text="E.164.")
    name = models.CharField(max_length=100, blank=True, help_text="Their push name (notifyName).")
    # What the session last showed them (WPP.chat.markIsComposing / markIsRecording / markIsPaused).
    presence = models.CharField(max_length=10, blank=True, help_text="typing, recording or paused.")
    presence_at = models.DateTimeField(null=True, blank=True)
    # Their profile as WhatsApp shows it (sandbox/directory.py), set over the sandbox API.
    saved_name = models.CharField(
        max_length=100, blank=True, help_text="The name in the phone's address book."
    )
    business = models.BooleanField(default=False, help_text="A WhatsApp Business account.")
    about = models.CharField(
        max_length=200, blank=True, help_text="Their about text (WPP.contact.getStatus)."
    )
    picture = models.BooleanField(default=False, help_text="They have a profile picture.")
    # What the session's phone did to them and to their chat.
    blocked = models.BooleanField(default=False, help_text="Blocked by the session (WPP.blocklist).")
    archived = models.BooleanField(default=False)
    pinned = models.BooleanField(default=False)
    muted_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "phone"], name="sandbox_contact_unique_phone")
        ]
        ordering = ["phone"]

    def __str__(self) -> str:
        return f"{self.name or self.phone}"

    @property
    def chat_id(self) -> str:
        return f"{self.phone.lstrip('+')}@c.us"


class SandboxPresence(models.Model):
    """Each presence the session showed a contact (typing, recording, paused), kept in order so
    the contact's phone can tell what it saw and for how long (sandbox.timeline)."""

    contact = models.ForeignKey(SandboxContact, on_delete=models.CASCADE, related_name="presences")
    state = models.CharField(max_length=10)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["contact", "at"], name="sandbox_presence_at")]

    def __str__(self) -> str:
        return f"{self.state} to {self.contact_id} at {self.at:%H:%M:%S}"


class Direction(models.TextChoices):
    INBOUND = "in", "Contact → session"
    OUTBOUND = "out", "Session → contact"


class Ack(models.IntegerChoices):
    """WhatsApp's ack values (wa-js `ACK`)."""

    FAILED = -1, "failed"
    CLOCK = 0, "pending"
    SENT = 1, "sent"
    RECEIVED = 2, "delivered"
    READ = 3, "read"
    PLAYED = 4, "played"


def _media_path(instance: "SandboxMessage", filename: str) -> str:
    return f"sandbox/{instance.session_id}/{instance.key}"


class SandboxMessage(models.Model):
    """One message in either direction, with WhatsApp-style ids and receipts.

    `wa_id` is the serialized MsgKey: `false_<chat>_<KEY>` for theirs, `true_<chat>_<KEY>`
    for ours. For outbound messages `ack` moves 1 → 2 → 3 when the due times pass; for
    inbound ones it records what the contact sees (2 once the page got it, 3 once read).
    """

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="sandbox_messages")
    # The contact of a one-to-one chat, the author of a group message; none for our own group
    # messages (the chat is the group).
    contact = models.ForeignKey(
        SandboxContact, on_delete=models.CASCADE, related_name="messages", null=True, blank=True
    )
    author = models.CharField(
        max_length=40,
        blank=True,
        help_text="In a group: who wrote it, as the group shows them (phone id or lid).",
    )
    direction = models.CharField(max_length=3, choices=Direction.choices)
    wa_id = models.CharField(max_length=120)
    key = models.CharField(max_length=40, help_text="The id part of the MsgKey.")
    chat_id = models.CharField(max_length=40)
    type = models.CharField(
        max_length=20, default="chat", help_text="wa-js type: chat, image, ptt, location, vcard, ..."
    )
    text = models.TextField(blank=True, help_text="Body of a text message, caption of a media one.")
    content = models.JSONField(
        default=dict, blank=True, help_text="A location, contact card or poll: its MsgModel fields."
    )
    quoted_wa_id = models.CharField(max_length=120, blank=True, help_text="The message it quotes.")
    media = models.FileField(upload_to=_media_path, blank=True, max_length=200)
    mimetype = models.CharField(max_length=120, blank=True)
    filename = models.CharField(max_length=255, blank=True)
    size = models.BigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    ack = models.SmallIntegerField(choices=Ack.choices, default=Ack.CLOCK)
    cursor = models.BigIntegerField(default=0, help_text="Event cursor of its arrival (inbound).")
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    # Outbound receipts are due at fixed delays after sending (SANDBOX_*_DELAY_MS).
    delivered_due_at = models.DateTimeField(null=True, blank=True)
    read_due_at = models.DateTimeField(null=True, blank=True)
    # What was done to it since (sandbox/actions.py), as both phones see it.
    reactions = models.JSONField(default=dict, blank=True, help_text="Reactor's WhatsApp id → emoji.")
    edits = models.JSONField(default=list, blank=True, help_text="Earlier texts, oldest first.")
    edited_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True, help_text="Deleted for everyone.")
    device_deleted_at = models.DateTimeField(
        null=True, blank=True, help_text="Deleted on the linked device only (the contact still has it)."
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["session", "wa_id"], name="sandbox_message_unique_id")]
        indexes = [
            models.Index(fields=["session", "direction", "ack"]),
            models.Index(fields=["session", "direction", "-created_at"]),
        ]
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.wa_id

    @property
    def is_media(self) -> bool:
        return bool(self.media)

    @property
    def from_me(self) -> bool:
        return self.direction == Direction.OUTBOUND


class EventKind(models.TextChoices):
    MESSAGE = "message", "New message (chat.new_message)"
    ACK = "ack", "Receipt (chat.msg_ack_change)"
    RAW = "raw", "Any wa-js event, as given (for testing odd payloads)"
    # The contact reacted, deleted or edited: raw_name/raw_data hold the wa-js event with Wids
    # as strings, which the page turns into Wid objects (sandbox/actions.py).
    ACTION = "action", "A contact's reaction, revoke or edit; a group change; a call"


class SandboxEvent(models.Model):
    """Something the linked page must be told, in order: `cursor` grows by one per session."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="sandbox_events")
    cursor = models.BigIntegerField()
    kind = models.CharField(max_length=10, choices=EventKind.choices)
    message = models.ForeignKey(
        SandboxMessage, on_delete=models.CASCADE, related_name="events", null=True, blank=True
    )
    ack = models.SmallIntegerField(null=True, blank=True)
    # A `raw` event's wa-js name and payload, emitted by the page exactly as given.
    raw_name = models.CharField(max_length=100, blank=True)
    raw_data = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "cursor"], name="sandbox_event_unique_cursor")
        ]
        ordering = ["session", "cursor"]

    def __str__(self) -> str:
        return f"{self.session_id}#{self.cursor} {self.kind}"


class GroupRole(models.TextChoices):
    MEMBER = "member", "Member"
    ADMIN = "admin", "Admin"
    SUPERADMIN = "superadmin", "Owner (super admin)"


class SandboxGroup(models.Model):
    """A group on the sandbox's WhatsApp, as its members' phones hold it (sandbox/groups.py).

    `participants` is a list of `{"id", "phone", "role"}`: `id` is how the group shows the
    member (`<digits>@c.us`, or their lid in a group that addresses members by lid), `phone`
    their E.164 number (the session's own too). The session sees the group only while its own
    number is among them.
    """

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="sandbox_groups")
    gid = models.CharField(max_length=40, help_text="The group's id, `<digits>@g.us`.")
    subject = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    owner = models.CharField(max_length=40, blank=True, help_text="Who created it (their id).")
    announce = models.BooleanField(default=False, help_text="Only admins may send messages.")
    restrict = models.BooleanField(default=False, help_text="Only admins may edit the group's info.")
    lid_addressing = models.BooleanField(default=False, help_text="Members appear by lid.")
    invite_code = models.CharField(max_length=40, blank=True)
    participants = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["session", "gid"], name="sandbox_group_unique_gid")]
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.subject} ({self.gid})"


class SandboxCall(models.Model):
    """A call ringing the session (`call.incoming_call`), and what the linked device did."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="sandbox_calls")
    call_id = models.CharField(max_length=64)
    caller = models.CharField(max_length=40, help_text="The caller's id.")
    group = models.CharField(max_length=40, blank=True, help_text="The group called from, if any.")
    is_video = models.BooleanField(default=False)
    rejected_at = models.DateTimeField(null=True, blank=True, help_text="WPP.call.reject from the page.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["session", "call_id"], name="sandbox_call_unique_id")]
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.call_id
