"""Messages sent and received through a session. The database is the source of truth: a row
exists before anything is handed to a worker or a browser, and every status change is a write."""

import uuid

from django.db import models
from django.db.models import Q


class Direction(models.TextChoices):
    INBOUND = "inbound", "Inbound"
    OUTBOUND = "outbound", "Outbound"


class MessageStatus(models.TextChoices):
    """Transitions go through `services.message_transition`, which never moves backwards."""

    # Accepted with a media URL that a worker is still fetching (messaging.media_url); then
    # `queued`, or `failed` with the reason the fetch gave.
    PENDING = "pending", "Fetching its media"
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    DELIVERED = "delivered", "Delivered"
    READ = "read", "Read"
    FAILED = "failed", "Failed"
    RECEIVED = "received", "Received"


# Outbound progress, in order. `failed` sits outside it: see services.message_transition.
STATUS_RANK = {
    MessageStatus.PENDING: -1,
    MessageStatus.QUEUED: 0,
    MessageStatus.SENDING: 1,
    MessageStatus.SENT: 2,
    MessageStatus.DELIVERED: 3,
    MessageStatus.READ: 4,
}

# wa-js ACK enum (chat.msg_ack_change `ack`, a send's result) → our status; 0 (clock) changes
# nothing, 4 (played) counts as read.
ACK_STATUS = {1: MessageStatus.SENT, 2: MessageStatus.DELIVERED, 3: MessageStatus.READ, 4: MessageStatus.READ}

# Messages that still wait for (or are in) a send: what the queue depth counts.
BACKLOG_STATUSES = (MessageStatus.PENDING, MessageStatus.QUEUED, MessageStatus.SENDING)


class MediaStatus(models.TextChoices):
    """Where a message's media stands: an inbound one's download through the page, or an
    outbound one's fetch from its URL. Base64 and uploaded media are stored before queueing."""

    NONE = "", "No media"
    PENDING = "pending", "Waiting for download"
    FETCHING = "fetching", "Being fetched from its URL"
    STORED = "stored", "Stored"
    FAILED = "failed", "Download failed"
    EXPIRED = "expired", "Removed after MEDIA_RETENTION_DAYS"


# Types a client may send; anything WhatsApp delivers is stored under its wa-js type, in the
# API's words where they differ (messaging.inbound: `chat` is `text`, `ptt` is `voice`, ...).
SENDABLE_MEDIA_TYPES = ("image", "video", "audio", "document")
# `voice`: an audio file sent as a push-to-talk note; the others carry `Message.content`.
SENDABLE_TYPES = ("text", *SENDABLE_MEDIA_TYPES, "voice", "location", "contact", "poll")


class MessageAction(models.TextChoices):
    """What an action row does to its `target` or chat (docs/MESSAGING.md, "Acting on a message").
    An action is queued, rate-limited and sent like a message; its row is not listed with them."""

    NONE = "", "A message"
    REACTION = "reaction", "React (WPP.chat.sendReactionToMessage)"
    REVOKE = "revoke", "Delete for everyone (WPP.chat.deleteMessage, revoke)"
    DELETE = "delete", "Delete on this device (WPP.chat.deleteMessage)"
    EDIT = "edit", "Edit its text (WPP.chat.editMessage)"
    # Chat actions: no target, the chat is `chat_id`; `text` holds a presence's state.
    READ = "read", "Mark the chat read (WPP.chat.markIsRead)"
    PRESENCE = "presence", "Show typing, recording or paused (WPP.chat.markIsComposing ...)"


class Message(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    session = models.ForeignKey("sessions_app.Session", on_delete=models.CASCADE, related_name="messages")
    direction = models.CharField(max_length=10, choices=Direction.choices)
    wa_id = models.CharField(
        "WhatsApp id", max_length=200, blank=True, help_text="WhatsApp's message id once known."
    )
    chat_id = models.CharField(max_length=100, help_text="The chat (JID): `...@c.us`, `...@g.us`, `...@lid`.")
    phone = models.CharField(
        max_length=20, blank=True, help_text="The other party's number in E.164, when the chat id shows it."
    )
    author = models.CharField(max_length=100, blank=True, help_text="Who wrote it, in a group chat.")
    contact_name = models.CharField(max_length=200, blank=True, help_text="The sender's push name.")
    from_phone = models.BooleanField(
        default=False, help_text="Sent from the linked phone itself, not through the API."
    )
    type = models.CharField(max_length=40, default="text")
    text = models.TextField(blank=True, help_text="The text, or the caption of a media message.")
    content = models.JSONField(
        default=dict,
        blank=True,
        help_text="What a location, contact card or poll holds, as the API shows it (payloads.py).",
    )
    reply_to = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The message this one quotes, when it is stored here.",
    )
    reply_to_wa_id = models.CharField(
        max_length=200, blank=True, help_text="WhatsApp id of the message this one quotes."
    )

    media_name = models.CharField(max_length=255, blank=True, help_text="File name under DATA_DIR/media/.")
    media_mimetype = models.CharField(max_length=255, blank=True)
    media_size = models.BigIntegerField(null=True, blank=True)
    media_filename = models.CharField(max_length=255, blank=True, help_text="The file name shown to people.")
    media_status = models.CharField(
        max_length=10, choices=MediaStatus.choices, default=MediaStatus.NONE, blank=True
    )
    media_attempts = models.PositiveIntegerField(default=0)
    media_error = models.TextField(blank=True)
    media_retry_at = models.DateTimeField(null=True, blank=True)
    media_source_url = models.CharField(
        max_length=2048, blank=True, help_text="Outbound: the URL its media is fetched from."
    )

    # An action row acts on `target`; `text` holds the emoji (reaction) or the new text (edit).
    action = models.CharField(max_length=10, choices=MessageAction.choices, default="", blank=True)
    target = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="actions"
    )
    # What was done to this message, by us or by the contact.
    reactions = models.JSONField(
        default=dict, blank=True, help_text="Sender's WhatsApp id → {emoji, at}: the current reactions."
    )
    edits = models.JSONField(
        default=list, blank=True, help_text="Earlier texts, oldest first: [{text, editedAt}]."
    )
    edited_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True, help_text="Deleted for everyone.")
    deleted_at = models.DateTimeField(null=True, blank=True, help_text="Deleted on the linked device only.")

    status = models.CharField(max_length=10, choices=MessageStatus.choices)
    error_code = models.CharField(max_length=50, blank=True)
    error = models.TextField(blank=True)
    idempotency_key = models.CharField(max_length=255, blank=True)
    send_attempts = models.PositiveIntegerField(default=0)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # When the engine was asked to send it; the rate limiter counts these.
    dispatched_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    wa_timestamp = models.DateTimeField(
        "WhatsApp timestamp", null=True, blank=True, help_text="WhatsApp's own time of the message (`t`)."
    )
    # When `message.received` was emitted; null means still owed (see inbound_media.retry_media).
    notified_at = models.DateTimeField(null=True, blank=True)
    # A queued message's wait under its session's sending policy (messaging.pacing): when it is
    # expected to go and why not sooner. `pacing` keeps its drawn jitter and typing time and how
    # far it got (read, typing), so a restart resumes rather than draws again, and the wait last
    # announced as a `message.status` event (`announced`: [reason, notBefore]).
    not_before = models.DateTimeField(null=True, blank=True)
    waiting_for = models.CharField(max_length=20, blank=True)
    pacing = models.JSONField(default=dict, blank=True)
    new_chat = models.BooleanField(
        default=False, help_text="The first message to a chat this session never talked with."
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["session", "-created_at"], name="msg_session_created"),
            models.Index(fields=["session", "direction", "-created_at"], name="msg_session_direction"),
            models.Index(fields=["wa_id"], name="msg_wa_id"),
            models.Index(fields=["session", "status", "created_at"], name="msg_session_queue"),
            models.Index(fields=["session", "dispatched_at"], name="msg_session_dispatched"),
            models.Index(fields=["session", "chat_id", "-created_at"], name="msg_session_chat"),
            # The dashboard's inbox (dashboard/chat_selectors.py): every chat's newest message,
            # its unread count and last answer, read from this index alone.
            models.Index(
                fields=["session", "chat_id", "direction", "action", "created_at"], name="msg_inbox"
            ),
            # The `phone` filter of the message list.
            models.Index(fields=["session", "phone", "-created_at"], name="msg_session_phone"),
            # Stats over the last day (dashboard, /api/v1/stats) and the per-status metric.
            models.Index(fields=["direction", "sent_at"], name="msg_direction_sent"),
            models.Index(fields=["direction", "failed_at"], name="msg_direction_failed"),
            models.Index(fields=["direction", "created_at"], name="msg_direction_created"),
            models.Index(fields=["direction", "status"], name="msg_direction_status"),
            # Retention (messages and media older than a date) and the media retry sweep.
            models.Index(fields=["created_at"], name="msg_created"),
            models.Index(fields=["session", "media_status", "media_retry_at"], name="msg_media_retry"),
            # QUEUE_MAX: the session's waiting outbound messages, counted under its row lock on
            # every send (messaging.admission), from this index alone.
            # Partial: only waiting rows; all three columns, so the count needs no table row.
            models.Index(
                fields=["session", "direction", "status"],
                condition=Q(status__in=["pending", "queued", "sending"]),
                name="msg_outbound_backlog",
            ),
            # The media fetch sweep looks for these every 30 s; few at any time, so a partial index.
            models.Index(
                fields=["created_at"], condition=Q(status="pending"), name="msg_pending_media_fetch"
            ),
        ]
        constraints = [
            # One row per WhatsApp message per session: replayed page events find it.
            models.UniqueConstraint(
                fields=["session", "wa_id"], condition=~Q(wa_id=""), name="msg_unique_wa_id"
            ),
            models.UniqueConstraint(
                fields=["session", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="msg_unique_idempotency_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.direction} {self.type} {self.chat_id} ({self.status})"

    @property
    def has_media(self) -> bool:
        return self.media_status != MediaStatus.NONE


class NumberCheck(models.Model):
    """WhatsApp's answer to "is this number on WhatsApp?" for one session (WPP.contact.
    queryWidExists), trusted for CONTACTS_CHECK_CACHE_SECONDS (messaging.contacts): repeated
    checks don't ask WhatsApp again, and a send to a number known not to exist fails fast."""

    session = models.ForeignKey(
        "sessions_app.Session", on_delete=models.CASCADE, related_name="number_checks"
    )
    phone = models.CharField(max_length=20, help_text="E.164, as asked.")
    exists = models.BooleanField()
    chat_id = models.CharField(max_length=40, blank=True, help_text="WhatsApp's own id for the number.")
    lid = models.CharField(max_length=40, blank=True)
    checked_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "phone"], name="number_check_unique_phone"),
        ]
        indexes = [models.Index(fields=["session", "checked_at"], name="number_check_age")]

    def __str__(self) -> str:
        return f"{self.phone}: {'on' if self.exists else 'not on'} WhatsApp"


class LidMapping(models.Model):
    """A phone number and the lid WhatsApp uses for the same person, as the session's WhatsApp
    Web told it (WPP.contact.getPnLidEntry, queryWidExists). Kept without expiry: WhatsApp
    gives an account one lid for good."""

    session = models.ForeignKey("sessions_app.Session", on_delete=models.CASCADE, related_name="lid_mappings")
    lid = models.CharField(max_length=40, help_text="`<digits>@lid`.")
    phone = models.CharField(max_length=20, help_text="E.164.")
    learned_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["session", "lid"], name="lid_mapping_unique_lid")]
        indexes = [models.Index(fields=["session", "phone"], name="lid_mapping_phone")]

    def __str__(self) -> str:
        return f"{self.lid} = {self.phone}"


class Contact(models.Model):
    """A person in a session's WhatsApp, as its page last told (messaging.directory): listed by
    WPP.contact.list (`listed_at`, null once they left the list), and their profile (about
    text, profile picture) once asked for, kept for CONTACTS_PROFILE_CACHE_SECONDS."""

    session = models.ForeignKey("sessions_app.Session", on_delete=models.CASCADE, related_name="contacts")
    wa_id = models.CharField(max_length=100, help_text="`<digits>@c.us` or `<digits>@lid`.")
    phone = models.CharField(max_length=20, blank=True, help_text="E.164; empty when WhatsApp hides it.")
    lid = models.CharField(max_length=40, blank=True)
    name = models.CharField(max_length=200, blank=True, help_text="The name in the phone's address book.")
    push_name = models.CharField(max_length=200, blank=True, help_text="The name they gave themselves.")
    business = models.BooleanField(default=False)
    my_contact = models.BooleanField(default=False, help_text="In the phone's address book.")
    blocked = models.BooleanField(default=False)
    listed_at = models.DateTimeField(null=True, blank=True, help_text="Last seen in the contact list.")
    about = models.TextField(blank=True)
    picture_name = models.CharField(max_length=255, blank=True, help_text="In Django's default storage.")
    picture_mimetype = models.CharField(max_length=100, blank=True)
    picture_size = models.PositiveIntegerField(default=0)
    profile_at = models.DateTimeField(null=True, blank=True, help_text="When about and picture were fetched.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["session", "wa_id"], name="contact_unique_wa_id")]
        indexes = [models.Index(fields=["session", "listed_at"], name="contact_listed")]

    def __str__(self) -> str:
        return self.name or self.push_name or self.wa_id


class SendingPolicy(models.Model):
    """How a session sends (messaging.sending_policy): a named preset and the fields set otherwise.
    A session without a row follows SENDING_POLICY_DEFAULT_PRESET."""

    session = models.OneToOneField(
        "sessions_app.Session", on_delete=models.CASCADE, primary_key=True, related_name="sending_policy"
    )
    preset = models.CharField(max_length=20, default="natural")
    overrides = models.JSONField(
        default=dict, blank=True, help_text="The fields that differ from the preset, in the API's names."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "sending policies"

    def __str__(self) -> str:
        return f"{self.preset} for {self.session_id}"
