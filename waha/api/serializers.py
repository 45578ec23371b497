"""WAHA's request and response bodies, named and shaped as in WAHA's OpenAPI description.
Fields WAHA has and YesApp ignores are accepted and left alone (docs/COMPATIBILITY.md)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from groups.api.serializers import PARTICIPANT_SCHEMA, InviteCodeField
from waha.shapes import ACK_NAMES, WAHA_STATUSES
from yesapp.validators import RECIPIENT_SCHEMA, OffsetField, PhoneTextField

SESSION_HELP = "The session's name."


# --- errors -------------------------------------------------------------------------------------


class WahaErrorSerializer(serializers.Serializer):
    statusCode = serializers.IntegerField()
    message = serializers.CharField()
    error = serializers.CharField(help_text="The HTTP status's reason phrase.")


# --- sessions -----------------------------------------------------------------------------------


class WahaHmacSerializer(serializers.Serializer):
    key = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=200)


class WahaCustomHeaderSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    value = serializers.CharField(max_length=2000, allow_blank=True)


class WahaRetriesSerializer(serializers.Serializer):
    delaySeconds = serializers.FloatField(required=False, allow_null=True)
    attempts = serializers.FloatField(required=False, allow_null=True)
    policy = serializers.CharField(required=False, allow_null=True)


class WahaWebhookConfigSerializer(serializers.Serializer):
    url = serializers.URLField(max_length=2000)
    events = serializers.ListField(child=serializers.CharField(max_length=50), required=False)
    hmac = WahaHmacSerializer(required=False, allow_null=True)
    retries = WahaRetriesSerializer(
        required=False, allow_null=True, help_text="Accepted; YesApp's retry policy applies."
    )
    # A ListField, not `many=True`: DRF hands a many=True serializer's allow_null to each item
    # too, and a null item must be a 400, not a None for the service to trip on.
    customHeaders = serializers.ListField(child=WahaCustomHeaderSerializer(), required=False, allow_null=True)


class WahaSessionConfigSerializer(serializers.Serializer):
    webhooks = serializers.ListField(child=WahaWebhookConfigSerializer(), required=False, allow_null=True)
    metadata = serializers.DictField(
        child=serializers.CharField(allow_blank=True),
        required=False,
        allow_null=True,
        help_text="Accepted, not kept.",
    )


class WahaSessionCreateInputSerializer(serializers.Serializer):
    name = serializers.CharField(required=False, default="default", max_length=100, help_text=SESSION_HELP)
    start = serializers.BooleanField(required=False, default=True)
    config = WahaSessionConfigSerializer(required=False, allow_null=True)
    sandbox = serializers.BooleanField(
        required=False,
        default=False,
        help_text="YesApp's own: link the session in the sandbox, not WhatsApp.",
    )


class WahaSessionUpdateInputSerializer(serializers.Serializer):
    config = WahaSessionConfigSerializer(required=False, allow_null=True)


class WahaMeInfoSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="`<number>@c.us`")
    pushName = serializers.CharField(allow_blank=True)


class WahaSessionConfigOutputSerializer(serializers.Serializer):
    webhooks = WahaWebhookConfigSerializer(many=True)


class WahaSessionDTOSerializer(serializers.Serializer):
    name = serializers.CharField()
    status = serializers.ChoiceField(choices=WAHA_STATUSES)
    config = WahaSessionConfigOutputSerializer()


class WahaEngineSerializer(serializers.Serializer):
    engine = serializers.CharField()


class WahaSessionInfoSerializer(WahaSessionDTOSerializer):
    me = WahaMeInfoSerializer(allow_null=True)
    engine = WahaEngineSerializer()


class WahaListSessionsQuerySerializer(serializers.Serializer):
    all = serializers.BooleanField(required=False, default=False, help_text="Include STOPPED sessions.")


class WahaQrQuerySerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=["image", "raw"], required=False, default="image")


class WahaQrValueSerializer(serializers.Serializer):
    value = serializers.CharField()


class WahaBase64FileSerializer(serializers.Serializer):
    mimetype = serializers.CharField()
    data = serializers.CharField()


class WahaRequestCodeInputSerializer(serializers.Serializer):
    phoneNumber = PhoneTextField(max_length=30, help_text="The number, digits only or with +.")
    method = serializers.CharField(required=False, allow_null=True, allow_blank=True)


class WahaRequestCodeOutputSerializer(serializers.Serializer):
    code = serializers.CharField()


# --- sending ------------------------------------------------------------------------------------


@extend_schema_field(RECIPIENT_SCHEMA)
class RecipientTextField(serializers.CharField):
    """A chat id or a number, checked by the send it is for."""


class WahaChatRequestSerializer(serializers.Serializer):
    session = serializers.CharField(required=False, default="default", max_length=100, help_text=SESSION_HELP)
    chatId = RecipientTextField(max_length=100, help_text="`<number>@c.us`, `<id>@g.us` or a number.")


class _ReplySerializer(WahaChatRequestSerializer):
    reply_to = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, max_length=200, help_text="`true_<chat>_<id>`"
    )
    replyTo = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, max_length=200, help_text="Same as reply_to."
    )
    mentions = serializers.ListField(
        child=serializers.CharField(max_length=100),
        required=False,
        allow_null=True,
        help_text='People to mention (`<number>@c.us`), or `"all"` in a group.',
    )


class WahaSendTextSerializer(_ReplySerializer):
    text = serializers.CharField(max_length=65536)
    linkPreview = serializers.BooleanField(required=False, help_text="Show a preview of the first link.")


class WahaFileSerializer(serializers.Serializer):
    mimetype = serializers.CharField(required=False, allow_blank=True, max_length=255)
    filename = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=255)
    url = serializers.URLField(required=False, max_length=2000)
    data = serializers.CharField(required=False, help_text="Base64.")

    def validate(self, attrs):
        if bool(attrs.get("url")) == bool(attrs.get("data")):
            raise serializers.ValidationError("file needs either url or data (base64), not both.")
        return attrs


class WahaSendFileSerializer(_ReplySerializer):
    file = WahaFileSerializer()
    caption = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=65536)
    convert = serializers.BooleanField(required=False, help_text="Accepted; files are sent as given.")


class WahaSendLocationSerializer(_ReplySerializer):
    latitude = serializers.FloatField(min_value=-90, max_value=90)
    longitude = serializers.FloatField(min_value=-180, max_value=180)
    title = serializers.CharField(required=False, allow_blank=True, max_length=200)


class WahaVcardContactSerializer(serializers.Serializer):
    fullName = serializers.CharField(required=False, max_length=200)
    organization = serializers.CharField(required=False, allow_blank=True, max_length=200)
    phoneNumber = serializers.CharField(required=False, max_length=30)
    whatsappId = serializers.CharField(required=False, max_length=30)
    vcard = serializers.CharField(required=False, max_length=10000)


class WahaSendContactVcardSerializer(_ReplySerializer):
    # A ListField, not many=True: drf-spectacular documents only a ListField's lengths.
    contacts = serializers.ListField(child=WahaVcardContactSerializer(), min_length=1, max_length=20)


class WahaPollSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=255)
    options = serializers.ListField(child=serializers.CharField(max_length=100), min_length=2, max_length=12)
    multipleAnswers = serializers.BooleanField(required=False, default=False)


class WahaSendPollSerializer(_ReplySerializer):
    poll = WahaPollSerializer()


class WahaSendSeenSerializer(WahaChatRequestSerializer):
    messageId = serializers.CharField(required=False, allow_null=True, max_length=200)
    messageIds = serializers.ListField(child=serializers.CharField(max_length=200), required=False)
    participant = serializers.CharField(required=False, allow_null=True, max_length=100)


class WahaReactionSerializer(serializers.Serializer):
    session = serializers.CharField(required=False, default="default", max_length=100, help_text=SESSION_HELP)
    messageId = serializers.CharField(max_length=200, help_text="`true_<chat>_<id>` or `false_<chat>_<id>`")
    reaction = serializers.CharField(allow_blank=True, max_length=20, help_text='One emoji; "" removes it.')


class WahaMediaSerializer(serializers.Serializer):
    url = serializers.CharField(allow_null=True)
    mimetype = serializers.CharField(allow_null=True)
    filename = serializers.CharField(allow_null=True)


class WahaLocationSerializer(serializers.Serializer):
    latitude = serializers.CharField()
    longitude = serializers.CharField()
    live = serializers.BooleanField()
    name = serializers.CharField(allow_null=True)
    address = serializers.CharField(allow_null=True)


class WahaReplyToMessageSerializer(serializers.Serializer):
    id = serializers.CharField()


class WahaWAMessageSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="WhatsApp's serialized id, `true_<chat>_<id>`.")
    timestamp = serializers.IntegerField(help_text="Unix time, seconds.")
    # `from` is a Python keyword: the field is renamed in the schema below.
    from_ = serializers.CharField()
    fromMe = serializers.BooleanField()
    source = serializers.ChoiceField(choices=["api", "app"])
    to = serializers.CharField()
    participant = serializers.CharField(allow_null=True)
    body = serializers.CharField(allow_blank=True)
    hasMedia = serializers.BooleanField()
    media = WahaMediaSerializer(allow_null=True)
    mediaUrl = serializers.CharField(allow_null=True)
    ack = serializers.ChoiceField(choices=sorted(ACK_NAMES))
    ackName = serializers.ChoiceField(choices=list(ACK_NAMES.values()))
    author = serializers.CharField(allow_null=True)
    location = WahaLocationSerializer(allow_null=True)
    vCards = serializers.ListField(child=serializers.CharField())
    replyTo = WahaReplyToMessageSerializer(allow_null=True)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields


class WahaEmptySerializer(serializers.Serializer):
    pass


# --- reading ------------------------------------------------------------------------------------


class WahaCheckExistsQuerySerializer(serializers.Serializer):
    phone = PhoneTextField(max_length=30, help_text="The number, digits only or with +.")
    session = serializers.CharField(required=False, default="default", max_length=100, help_text=SESSION_HELP)


class WahaNumberExistsSerializer(serializers.Serializer):
    numberExists = serializers.BooleanField()
    chatId = serializers.CharField(allow_null=True)


class WahaPageQuerySerializer(serializers.Serializer):
    limit = serializers.IntegerField(required=False, default=100, min_value=1, max_value=1000)
    offset = OffsetField()  # bounded: past SQL's 64-bit integers the query failed (a 500)


class WahaChatSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField(allow_null=True)
    conversationTimestamp = serializers.IntegerField()


# --- groups -------------------------------------------------------------------------------------


@extend_schema_field(PARTICIPANT_SCHEMA)
class WahaParticipantIdField(serializers.CharField):
    """Read by waha.api.group_views._people and checked by the groups service (400 for what is
    neither a number nor a lid): in the schema, the groups API's participant."""


class WahaParticipantSerializer(serializers.Serializer):
    id = WahaParticipantIdField(max_length=100, help_text="`<number>@c.us` or `<id>@lid`")


class WahaGroupCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    participants = WahaParticipantSerializer(many=True)


class WahaParticipantsSerializer(serializers.Serializer):
    # A ListField, not many=True: drf-spectacular documents only a ListField's lengths.
    participants = serializers.ListField(child=WahaParticipantSerializer(), min_length=1, max_length=256)


class WahaSubjectSerializer(serializers.Serializer):
    subject = serializers.CharField(max_length=100)


class WahaDescriptionSerializer(serializers.Serializer):
    description = serializers.CharField(max_length=2048, allow_blank=True)


class WahaAdminsOnlySerializer(serializers.Serializer):
    adminsOnly = serializers.BooleanField()


class WahaJoinSerializer(serializers.Serializer):
    # The groups API's field: the same rule (groups.services.group_join), stated in the schema.
    code = InviteCodeField(max_length=100, help_text="An invite code or https://chat.whatsapp.com/ link.")


class WahaGroupParticipantSerializer(serializers.Serializer):
    id = serializers.CharField(allow_null=True)
    isAdmin = serializers.BooleanField()
    isSuperAdmin = serializers.BooleanField()


class WahaGroupSerializer(serializers.Serializer):
    id = serializers.CharField()
    subject = serializers.CharField(allow_blank=True)
    description = serializers.CharField(allow_blank=True)
    owner = serializers.CharField(allow_null=True)
    participants = WahaGroupParticipantSerializer(many=True)
    announce = serializers.BooleanField()
    restrict = serializers.BooleanField()
    creation = serializers.IntegerField(allow_null=True)


class WahaParticipantOutcomeSerializer(serializers.Serializer):
    id = serializers.CharField(allow_null=True)
    status = serializers.CharField()
