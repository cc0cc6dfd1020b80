"""Forms of the user administration pages."""

from __future__ import annotations

from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.choices import ALL, name_empty_choices
from regions.models import Region

from .models import Role, User


class UserForm(forms.ModelForm):
    """Role and regions of a user; coordinators need at least one region."""

    regions = forms.ModelMultipleChoiceField(
        label=_("Regions"),
        queryset=Region.objects.order_by("code"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Only for regional coordinators: the regions they work in."),
    )

    class Meta:
        model = User
        fields = ["username", "first_name", "last_name", "email", "role", "regions"]

    def clean(self):
        data = super().clean()
        if data.get("role") == Role.COORDINATOR and not data.get("regions"):
            self.add_error("regions", _("Choose at least one region for a coordinator."))
        if data.get("role") != Role.COORDINATOR and data.get("regions"):
            self.add_error("regions", _("Only coordinators are limited to regions."))
        return data


class UserCreateForm(UserForm):
    """A new user: the administrator sets a first password, or leaves it empty and gives the
    user a one-time link to set their own."""

    password1 = forms.CharField(
        label=_("Initial password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to give the user a link to set their own password."),
    )
    password2 = forms.CharField(
        label=_("Initial password again"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 or p2:
            if p1 != p2:
                self.add_error("password2", _("The two passwords differ."))
            else:
                user = User(username=data.get("username", ""), email=data.get("email", ""))
                try:
                    password_validation.validate_password(p1, user)
                except ValidationError as error:
                    self.add_error("password1", error)
        return data


class DeactivateForm(forms.Form):
    confirm = forms.BooleanField(label=_("Yes, deactivate this account"), required=True)


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        name = obj.get_full_name()
        return f"{name} ({obj.username})" if name else obj.username


class AuditFilterForm(forms.Form):
    user = UserChoiceField(
        label=_("User"), queryset=User.objects.order_by("username"), required=False
    )
    model = forms.ChoiceField(label=_("Kind of record"), required=False)
    # Any text of the record: a name, a title, a venue (not the fields the log masks).
    q = forms.CharField(label=_("Word or name"), required=False, max_length=100)
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    object_id = forms.IntegerField(
        label=_("Record number"), required=False, min_value=1, widget=forms.HiddenInput
    )
    logins = forms.BooleanField(
        label=_("Also logins and logouts of this user"),
        required=False,
        help_text=_("They are always on the page of logins."),
    )

    def __init__(self, *args, model_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["model"].choices = [("", ALL)] + list(model_choices)
        name_empty_choices(self, ALL)


class MailPreferencesForm(forms.ModelForm):
    """What a user chooses for themselves about the mail Qadam sends them."""

    class Meta:
        model = User
        fields = ["email_digest"]
