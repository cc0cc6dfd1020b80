"""Forms of the quarterly close pages: which quarter to look at, and the workflow's steps."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import periods
from regions.models import Region
from reports.forms import NarrativeForm
from trainings.models import Programme

from .services import COMMENT_MAX


class QuarterPickForm(forms.Form):
    """Programme and quarter of the completeness page (GET)."""

    programme = forms.ModelChoiceField(
        label=_("Programme"), queryset=Programme.objects.none(), empty_label=None
    )
    quarter = forms.ChoiceField(label=_("Quarter"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = Programme.objects.filter(is_active=True).order_by(
            "code"
        )
        self.fields["quarter"].choices = periods.quarter_choices(timezone.localdate())


class SubmitForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment for programme staff (optional)"),
        required=False,
        max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    confirm_warnings = forms.BooleanField(
        label=_("I have seen the warnings above and submit the quarter anyway"), required=False
    )


class ReviewForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment (required to return the quarter)"),
        required=False,
        max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class UnlockForm(forms.Form):
    reason = forms.CharField(
        label=_("Why unlock (required, kept in the audit log)"),
        max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class CommentForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment"), max_length=COMMENT_MAX, widget=forms.Textarea(attrs={"rows": 2})
    )


class RegionNarrativeForm(NarrativeForm):
    """A region's narrative for one quarter, written from the region-quarter page: programme,
    quarter and region are fixed by the page (the instance carries them), the four texts are
    the coordinator's."""

    FIXED = ("programme", "period_label", "period_start", "period_end", "region")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = Programme.objects.all()
        self.fields["region"].queryset = Region.objects.all()
        for name in self.FIXED:
            self.fields[name].disabled = True
