"""Input and output shapes of the contact questions: is a number on WhatsApp, whose lid is it."""

from rest_framework import serializers

from messaging.contacts import CHECK_BATCH_MAX
from yesapp.validators import PhoneNumberField


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
