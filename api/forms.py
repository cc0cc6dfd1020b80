from django import forms
from django.utils.translation import gettext_lazy as _

from .services import MAX_DAYS


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What the token is for, e.g. 'Power BI report' or 'nightly backup script'."),
    )
    days = forms.IntegerField(
        label=_("Valid for (days)"),
        min_value=1,
        max_value=MAX_DAYS,
        initial=90,
        help_text=_("It stops working after this many days; you can revoke it earlier."),
    )
