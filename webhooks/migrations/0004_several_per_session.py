"""A session may have several webhooks, each with a public id, a format and its options."""

import uuid

import django.db.models.deletion
from django.db import migrations, models


def give_each_a_uuid(apps, schema_editor):
    WebhookConfig = apps.get_model("webhooks", "WebhookConfig")
    for config in WebhookConfig.objects.filter(uuid__isnull=True).only("pk"):
        WebhookConfig.objects.filter(pk=config.pk).update(uuid=uuid.uuid4())


class Migration(migrations.Migration):
    dependencies = [
        ("sessions_app", "0001_initial"),
        ("webhooks", "0003_webhookdelivery_log_entry"),
    ]

    operations = [
        migrations.AddField(
            model_name="webhookconfig", name="uuid", field=models.UUIDField(null=True, editable=False)
        ),
        migrations.RunPython(give_each_a_uuid, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="webhookconfig",
            name="uuid",
            field=models.UUIDField(default=uuid.uuid4, unique=True, editable=False),
        ),
        migrations.AlterField(
            model_name="webhookconfig",
            name="session",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="webhooks",
                to="sessions_app.session",
            ),
        ),
        migrations.AddField(
            model_name="webhookconfig", name="format", field=models.CharField(default="yesapp", max_length=20)
        ),
        migrations.AddField(
            model_name="webhookconfig", name="options", field=models.JSONField(blank=True, default=dict)
        ),
        migrations.AlterModelOptions(name="webhookconfig", options={"ordering": ["id"], "verbose_name": "webhook"}),
    ]
