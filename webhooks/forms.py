from __future__ import annotations

from urllib.parse import urlsplit

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import KIND_CHOICES, WebhookDelivery, WebhookEndpoint


class EndpointForm(forms.ModelForm):
    url = forms.URLField(
        label=_("URL"),
        max_length=500,
        assume_scheme="https",
        help_text=_("Where Qadam posts: an http:// or https:// address."),
    )
    kinds = forms.MultipleChoiceField(
        label=_("Events"),
        choices=KIND_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Qadam posts to this URL when one of these happens."),
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["name", "url", "kinds", "is_active"]

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValidationError(_("Give an http:// or https:// address."), code="scheme")
        if parts.username or parts.password:
            raise ValidationError(
                _("Leave user names and passwords out of the address: deliveries are signed."),
                code="credentials",
            )
        return url


class DeliveryFilterForm(forms.Form):
    endpoint = forms.ModelChoiceField(
        label=_("Endpoint"),
        queryset=WebhookEndpoint.objects.all(),
        required=False,
        empty_label=_("Any"),
    )
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("", _("Any"))] + list(WebhookDelivery.Status.choices),
        required=False,
    )
