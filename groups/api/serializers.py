"""Input and output shapes of the groups API."""

import re

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

# One `Person` in the schema: a group's members and a chat's contact are the same shape.
from messaging.api.chat_list_views import PersonSerializer
from yesapp.errors import InvalidInput
from yesapp.schema import at_least_one_field
from yesapp.validators import normalize_phone

MAX_PARTICIPANTS = 50
_LID = re.compile(r"^[0-9]{5,20}@lid$")
ACTIONS = ("add", "remove", "promote", "demote")
# Not only spaces: they are trimmed away, and a blank subject is refused.
NOT_BLANK = r"\S"
# An invite code, or the whole link (groups.services reads the code out of it).
INVITE_CODE_PATTERN = r"^(?:https?://chat\.whatsapp\.com/)?[A-Za-z0-9]{10,40}$"
WHO = ("all", "admins")
PARTICIPANT_STATUSES = (
    "added",
    "invited",
    "not_on_whatsapp",
    "recently_left",
    "already_member",
    "removed",
    "promoted",
    "demoted",
    "already_admin",
    "not_admin",
    "not_member",
    "failed",
)


# A number (which no pattern holds, hence a format, as yesapp.validators' PHONE_SCHEMA) or a lid.
PARTICIPANT_SCHEMA = {"type": "string", "format": "whatsapp-participant", "example": "+33612345678"}


@extend_schema_field(PARTICIPANT_SCHEMA)
class ParticipantField(serializers.CharField):
    """A person: an E.164 number, or a `<digits>@lid`."""

    def to_internal_value(self, data):
        text = super().to_internal_value(data).strip()
        if _LID.match(text):
            return text
        try:
            return normalize_phone(text)
        except InvalidInput as exc:
            raise serializers.ValidationError(
                f"{text!r} is neither an E.164 number (+33612345678) nor a lid (123456789012345@lid)."
            ) from exc


def participant_list(**kwargs) -> serializers.ListField:
    return serializers.ListField(
        child=ParticipantField(max_length=40),
        max_length=MAX_PARTICIPANTS,
        help_text=f"Up to {MAX_PARTICIPANTS} people: E.164 numbers or lids.",
        **kwargs,
    )


class MemberSerializer(PersonSerializer):
    role = serializers.ChoiceField(
        choices=("member", "admin", "superadmin"), help_text="superadmin: the owner."
    )


class GroupSettingsSerializer(serializers.Serializer):
    whoCanSend = serializers.ChoiceField(choices=WHO, help_text="admins: an announcement group.")
    whoCanEdit = serializers.ChoiceField(
        choices=WHO, help_text="Who may change the subject, description, ..."
    )
    whoCanAdd = serializers.ChoiceField(
        choices=WHO, allow_null=True, help_text="Who may add people; null when WhatsApp Web does not say."
    )
    approvalRequired = serializers.BooleanField(
        allow_null=True,
        help_text="Whether joining by invite link needs an admin's approval; null when unknown.",
    )


class GroupSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="`<digits>@g.us`: send messages to it like to a number.")
    subject = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    owner = PersonSerializer(allow_null=True)
    participants = MemberSerializer(many=True)
    settings = GroupSettingsSerializer()
    createdAt = serializers.DateTimeField(allow_null=True)


class GroupListSerializer(serializers.Serializer):
    items = GroupSerializer(many=True)
    total = serializers.IntegerField()


class ParticipantResultSerializer(serializers.Serializer):
    participant = PersonSerializer()
    status = serializers.ChoiceField(
        choices=PARTICIPANT_STATUSES,
        help_text=(
            "invited: their privacy setting lets only their contacts add them, so WhatsApp sent "
            "them an invitation instead."
        ),
    )
    inviteCode = serializers.CharField(allow_null=True, help_text="The invitation's code, for `invited`.")
    error = serializers.CharField(required=False, help_text="WhatsApp's reason, for `failed`.")


class GroupCreateInputSerializer(serializers.Serializer):
    subject = serializers.RegexField(
        NOT_BLANK, max_length=100, help_text="The group's name, 1 to 100 characters."
    )
    participants = participant_list(min_length=1)


class GroupCreateOutputSerializer(GroupSerializer):
    participantResults = ParticipantResultSerializer(
        many=True, help_text="What happened to each person asked for."
    )


@at_least_one_field
class GroupUpdateInputSerializer(serializers.Serializer):
    subject = serializers.RegexField(NOT_BLANK, max_length=100, required=False)
    description = serializers.CharField(max_length=2048, required=False, allow_blank=True)
    whoCanSend = serializers.ChoiceField(choices=WHO, required=False)
    whoCanEdit = serializers.ChoiceField(choices=WHO, required=False)

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError(
                "Give at least one of subject, description, whoCanSend, whoCanEdit."
            )
        return attrs


class ParticipantsInputSerializer(serializers.Serializer):
    add = participant_list(required=False, min_length=1)
    remove = participant_list(required=False, min_length=1)
    promote = participant_list(required=False, min_length=1)
    demote = participant_list(required=False, min_length=1)

    def validate(self, attrs):
        given = [action for action in ACTIONS if action in attrs]
        if len(given) != 1:
            raise serializers.ValidationError("Give exactly one of add, remove, promote, demote.")
        return {"action": given[0], "people": attrs[given[0]]}


class ParticipantsOutputSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=ACTIONS)
    results = ParticipantResultSerializer(many=True)


class InviteSerializer(serializers.Serializer):
    groupId = serializers.CharField()
    code = serializers.CharField()
    link = serializers.CharField(help_text="https://chat.whatsapp.com/<code>")


@extend_schema_field({"type": "string", "pattern": INVITE_CODE_PATTERN, "maxLength": 100})
class InviteCodeField(serializers.CharField):
    """Checked by groups.services.group_join (400 `invalid_invite_code`); the schema says how."""


class JoinInputSerializer(serializers.Serializer):
    code = InviteCodeField(
        max_length=100, help_text="The invite code (10 to 40 letters and digits), or the whole link."
    )


class JoinOutputSerializer(serializers.Serializer):
    groupId = serializers.CharField(allow_null=True)
    pendingApproval = serializers.BooleanField(help_text="The group's admins must approve the request first.")
