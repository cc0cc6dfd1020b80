# Import batches carry their background work's state, so a batch whose worker or queued
# message was lost is sent again or failed with a reason (participants/imports/services.py).
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("participants", "0009_possible_duplicates")]

    operations = [
        migrations.AddField(
            model_name="importbatch",
            name="task_id",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name="importbatch",
            name="started_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="started"),
        ),
        migrations.AddField(
            model_name="importbatch",
            name="heartbeat_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="importbatch",
            name="attempts",
            field=models.PositiveSmallIntegerField(default=0, verbose_name="attempts"),
        ),
    ]
