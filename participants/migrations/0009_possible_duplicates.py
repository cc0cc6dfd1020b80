# Possible cross-region duplicates found by imports and registrations (participants/duplicates.py).
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("participants", "0008_feedback_review_and_tokens"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="PossibleDuplicate",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "how",
                    models.CharField(
                        choices=[("iin", "same IIN"), ("name", "same name and birth year")],
                        max_length=8,
                        verbose_name="matched by",
                    ),
                ),
                ("found_at", models.DateTimeField(auto_now_add=True, verbose_name="found")),
                (
                    "resolved_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="resolved"),
                ),
                (
                    "resolution",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("merged", "Merged into one record"),
                            ("dismissed", "Not the same person"),
                            ("kept", "Kept as two records"),
                        ],
                        max_length=10,
                        verbose_name="resolution",
                    ),
                ),
                (
                    "batch",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="participants.importbatch",
                        verbose_name="import",
                    ),
                ),
                (
                    "existing",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="participants.participant",
                        verbose_name="record outside the user's regions",
                    ),
                ),
                (
                    "found_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="found while working as",
                    ),
                ),
                (
                    "new_person",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="participants.participant",
                        verbose_name="record created by the import",
                    ),
                ),
                (
                    "resolved_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="resolved by",
                    ),
                ),
            ],
            options={
                "verbose_name": "possible duplicate",
                "verbose_name_plural": "possible duplicates",
                "ordering": ["-found_at", "-pk"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("existing", "new_person"), name="possible_duplicate_pair"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("resolution", ""), ("resolved_at__isnull", True)),
                            models.Q(
                                models.Q(("resolution", ""), _negated=True),
                                ("resolved_at__isnull", False),
                            ),
                            _connector="OR",
                        ),
                        name="possible_duplicate_resolved_with_date",
                    ),
                ],
            },
        ),
    ]
