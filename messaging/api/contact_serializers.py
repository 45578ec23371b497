"""Input and output shapes of the contact endpoints: is a number on WhatsApp, whose lid is it,
the contact list, one contact's profile, blocking."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from messaging.contacts import CHECK_BATCH_MAX
from yesapp.validators import OffsetField, PhoneNumberField


class ContactCheckQuerySerializer(serializers.Serializer):
    phone = PhoneNumberField(help_text="E.164, like +33612345678.")


class ContactCheckBatchInputSerializer(serializers.Serializer):
    phones = serializers.ListField(
        child=PhoneNumberField(),
        min_length=1,
        max_length=CHECK_BATCH_MAX,
        help_text=f"1 to {CHECK_BATCH_MAX} numbers in E.164; duplicates are answered once.",
    )


class ContactCheckOutputSerializer(serializers.Serializer):
    phone = serializers.CharField(help_text="The number asked about, in E.164.")
    exists = serializers.BooleanField(help_text="Whether the number has a WhatsApp account.")
    chatId = serializers.CharField(
        allow_null=True, help_text="WhatsApp's own chat id for it (send to this); null when absent."
    )
    lid = serializers.CharField(allow_null=True, help_text="Its `...@lid` id; null when absent or unknown.")
    checkedAt = serializers.DateTimeField(
        help_text="When WhatsApp answered (earlier than now for a cached answer)."
    )


class ContactCheckBatchOutputSerializer(serializers.Serializer):
    results = ContactCheckOutputSerializer(many=True)


class ContactLidOutputSerializer(serializers.Serializer):
    phone = serializers.CharField(
        allow_null=True, help_text="E.164; null when WhatsApp Web does not know it (never a guess)."
    )
    lid = serializers.CharField(allow_null=True, help_text="`<digits>@lid`; null when unknown.")


class ContactListQuerySerializer(serializers.Serializer):
    limit = serializers.IntegerField(required=False, default=100, min_value=1, max_value=500)
    offset = OffsetField()
    search = serializers.CharField(
        required=False,
        default="",
        allow_blank=True,
        max_length=100,
        help_text="Part of a name, the number or the lid.",
    )
    refresh = serializers.BooleanField(
        required=False, default=False, help_text="Read the list from WhatsApp now instead of the cache."
    )


class ContactQuerySerializer(serializers.Serializer):
    refresh = serializers.BooleanField(
        required=False, default=False, help_text="Fetch the profile from WhatsApp now instead of the cache."
    )


class ContactOutputSerializer(serializers.Serializer):
    id = serializers.CharField(source="wa_id", help_text="WhatsApp's id: `<digits>@c.us` or `<digits>@lid`.")
    phone = serializers.SerializerMethodField(help_text="E.164; null when WhatsApp hides it (never a guess).")
    lid = serializers.SerializerMethodField(help_text="`<digits>@lid`; null when unknown.")
    name = serializers.SerializerMethodField(help_text="The name in the phone's address book; null if none.")
    pushName = serializers.SerializerMethodField(help_text="The name they gave themselves; null if none.")
    business = serializers.BooleanField(help_text="A WhatsApp Business account.")
    myContact = serializers.BooleanField(source="my_contact", help_text="In the phone's address book.")
    blocked = serializers.BooleanField(help_text="Blocked by this session's number.")

    def get_phone(self, contact) -> str | None:
        return contact.phone or None

    def get_lid(self, contact) -> str | None:
        return contact.lid or None

    def get_name(self, contact) -> str | None:
        return contact.name or None

    def get_pushName(self, contact) -> str | None:
        return contact.push_name or None


class ContactPictureSerializer(serializers.Serializer):
    url = serializers.CharField(help_text="Where YesApp serves it (with your API key).")
    mimetype = serializers.CharField()
    size = serializers.IntegerField(help_text="Bytes.")


class ContactDetailOutputSerializer(ContactOutputSerializer):
    about = serializers.SerializerMethodField(help_text="Their about text; null if none or hidden.")
    picture = serializers.SerializerMethodField(help_text="Their profile picture; null if none or hidden.")
    profileFetchedAt = serializers.DateTimeField(
        source="profile_at", help_text="When WhatsApp answered (earlier than now for a cached profile)."
    )

    def get_about(self, contact) -> str | None:
        return contact.about or None

    @extend_schema_field(ContactPictureSerializer(allow_null=True))
    def get_picture(self, contact) -> dict | None:
        if not contact.picture_name:
            return None
        url = f"/api/v1/sessions/{contact.session_id}/contacts/{contact.wa_id}/picture"
        return {"url": url, "mimetype": contact.picture_mimetype, "size": contact.picture_size}


class ContactBlockOutputSerializer(serializers.Serializer):
    contactId = serializers.CharField(help_text="The contact's WhatsApp id.")
    blocked = serializers.BooleanField(help_text="Whether WhatsApp now has them blocked.")
