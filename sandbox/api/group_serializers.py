"""Serializers of the sandbox API's groups and calls (sandbox/api/group_views.py)."""

from rest_framework import serializers

from sandbox.models import GroupRole
from yesapp.validators import PhoneTextField

ACTIONS = ("add", "remove", "promote", "demote")
# Not only spaces (they are trimmed away, and a blank subject or text is refused): the schema's
# pattern says so. The simulated people are numbers (a service also reads `<digits>@c.us`).
NOT_BLANK = r"\S"


class SandboxMemberSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="How the group shows them: `<digits>@c.us` or their lid.")
    phone = serializers.CharField(help_text="Their number, E.164.")
    role = serializers.ChoiceField(choices=GroupRole.choices)


class SandboxGroupSerializer(serializers.Serializer):
    id = serializers.CharField(source="gid", help_text="`<digits>@g.us`.")
    subject = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    owner = serializers.CharField(allow_blank=True)
    announce = serializers.BooleanField(help_text="Only admins may send.")
    restrict = serializers.BooleanField(help_text="Only admins may edit the group's info.")
    lidAddressing = serializers.BooleanField(source="lid_addressing")
    inviteCode = serializers.CharField(source="invite_code", allow_blank=True)
    participants = SandboxMemberSerializer(many=True)


class SandboxGroupListSerializer(serializers.Serializer):
    items = SandboxGroupSerializer(many=True)


class SandboxGroupCreateSerializer(serializers.Serializer):
    owner = PhoneTextField(max_length=32, help_text="The simulated person who creates it (E.164).")
    subject = serializers.RegexField(NOT_BLANK, max_length=100)
    participants = serializers.ListField(child=PhoneTextField(max_length=32), max_length=256, default=list)
    withSession = serializers.BooleanField(default=True, help_text="Add the session at once.")
    lidAddressing = serializers.BooleanField(default=False, help_text="Members appear by lid.")


class SandboxGroupMembersSerializer(serializers.Serializer):
    by = PhoneTextField(max_length=32, help_text="The admin who does it (E.164).")
    action = serializers.ChoiceField(choices=ACTIONS)
    participants = serializers.ListField(child=PhoneTextField(max_length=32), min_length=1, max_length=256)


class SandboxGroupMemberResultSerializer(serializers.Serializer):
    code = serializers.IntegerField(
        help_text="200 done, 403 invited instead, 404 not on WhatsApp / not a member, 409 no change."
    )
    message = serializers.CharField()


class SandboxGroupMembersOutputSerializer(serializers.Serializer):
    results = serializers.DictField(child=SandboxGroupMemberResultSerializer(), help_text="By E.164 number.")


class SandboxGroupUpdateSerializer(serializers.Serializer):
    by = PhoneTextField(max_length=32, help_text="The member who changes it (E.164).")
    subject = serializers.RegexField(NOT_BLANK, max_length=100, required=False)
    description = serializers.CharField(max_length=2048, required=False, allow_blank=True)
    announce = serializers.BooleanField(required=False)
    restrict = serializers.BooleanField(required=False)


class SandboxGroupMessageSerializer(serializers.Serializer):
    text = serializers.RegexField(NOT_BLANK, max_length=4096)
    name = serializers.CharField(max_length=100, required=False, default="", allow_blank=True)

    def get_fields(self):
        fields = super().get_fields()
        # `from` is a Python keyword, so it is added by name.
        fields["from"] = PhoneTextField(max_length=32, help_text="The member who writes (E.164).")
        return fields


class SandboxGroupMessageOutputSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="The message's WhatsApp id.")
    author = serializers.CharField(help_text="How the group shows its author.")


class SandboxCallInputSerializer(serializers.Serializer):
    video = serializers.BooleanField(default=False)
    groupId = serializers.CharField(
        required=False, default="", allow_blank=True, max_length=40, help_text="A group call from this group."
    )

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = PhoneTextField(max_length=32, help_text="The caller (E.164).")
        return fields


class SandboxCallSerializer(serializers.Serializer):
    id = serializers.CharField(source="call_id")
    caller = serializers.CharField()
    groupId = serializers.CharField(source="group", allow_blank=True)
    video = serializers.BooleanField(source="is_video")
    rejectedAt = serializers.DateTimeField(source="rejected_at", allow_null=True)
    createdAt = serializers.DateTimeField(source="created_at")


class SandboxCallListSerializer(serializers.Serializer):
    items = SandboxCallSerializer(many=True)
