# Quote review (a consented comment reaches a donor report only once staff approved it) and
# single-use tokens of the public feedback form (one answer per form shown, bound to the event).
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

QUOTE_STATUS = [
    ("pending", "Awaiting review"),
    ("approved", "Approved for reports"),
    ("rejected", "Not to be quoted"),
]


def _review_fields(historical: bool) -> list:
    reviewer = (
        models.ForeignKey(
            blank=True,
            db_constraint=False,
            null=True,
            on_delete=django.db.models.deletion.DO_NOTHING,
            related_name="+",
            to=settings.AUTH_USER_MODEL,
            verbose_name="quote reviewed by",
        )
        if historical
        else models.ForeignKey(
            blank=True,
            null=True,
            on_delete=django.db.models.deletion.SET_NULL,
            related_name="+",
            to=settings.AUTH_USER_MODEL,
            verbose_name="quote reviewed by",
        )
    )
    model_name = "historicalfeedback" if historical else "feedback"
    fields = {
        "quote_status": models.CharField(
            choices=QUOTE_STATUS, default="pending", max_length=10, verbose_name="quote review"
        ),
        "quote_text_reviewed": models.TextField(blank=True, verbose_name="quote as approved"),
        "quote_reviewed_by": reviewer,
        "quote_reviewed_at": models.DateTimeField(
            blank=True, null=True, verbose_name="quote reviewed"
        ),
        "form_token_hash": models.CharField(blank=True, editable=False, max_length=64),
    }
    return [
        migrations.AddField(model_name=model_name, name=name, field=field)
        for name, field in fields.items()
    ]


class Migration(migrations.Migration):
    dependencies = [
        ("participants", "0007_enrolment_event_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        *_review_fields(historical=False),
        *_review_fields(historical=True),
        migrations.AddIndex(
            model_name="feedback",
            index=models.Index(
                condition=models.Q(("consent_to_quote", True)),
                fields=["quote_status", "-submitted_at"],
                name="feedback_quote_queue",
            ),
        ),
        migrations.AddConstraint(
            model_name="feedback",
            constraint=models.UniqueConstraint(
                condition=models.Q(("form_token_hash", ""), _negated=True),
                fields=("event", "form_token_hash"),
                name="feedback_once_per_form_token",
            ),
        ),
    ]
