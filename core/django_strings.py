"""Django's own messages that our pages show but Django's Kazakh catalogue leaves untranslated
(its kk catalogue is incomplete; Russian is complete). Listing them here puts them in our
catalogues (`makemessages`), and our catalogues (LOCALE_PATHS) take precedence over Django's, so
the Kazakh translation there is what every form shows: the user pages (username help, e-mail
label), the password pages (the validators' help texts and errors), the login page, and any
form's e-mail, length and choice errors. Nothing imports this module; the msgids must stay
exactly Django's (tests/test_django_strings.py checks that they are). Russian needs no entry
of ours (Django's ru catalogue has them) but gets one, so both languages read the same."""

from __future__ import annotations

from django.utils.translation import gettext_noop, ngettext_lazy

MESSAGES = (
    # The user's fields (django.contrib.auth.models.AbstractUser).
    gettext_noop("email address"),
    gettext_noop("Required. 150 characters or fewer. Letters, digits and @/./+/-/_ only."),
    gettext_noop(
        "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ "
        "characters."
    ),
    # Setting a password (django.contrib.auth.forms.SetPasswordForm) and logging in.
    gettext_noop("The two password fields didn’t match."),
    gettext_noop("Enter the same password as before, for verification."),
    gettext_noop(
        "Please enter a correct %(username)s and password. Note that both fields may be "
        "case-sensitive."
    ),
    # The password validators of settings.AUTH_PASSWORD_VALIDATORS: help texts and errors.
    gettext_noop("Your password can’t be too similar to your other personal information."),
    gettext_noop("The password is too similar to the %(verbose_name)s."),
    gettext_noop("Your password can’t be a commonly used password."),
    gettext_noop("This password is too common."),
    gettext_noop("Your password can’t be entirely numeric."),
    gettext_noop("This password is entirely numeric."),
    # Every form.
    gettext_noop("Enter a valid email address."),
    gettext_noop("“%(pk)s” is not a valid value."),
)

# Plural texts: ngettext_lazy so makemessages takes both forms (the count is only there to make
# a lazy string: the texts are never shown from here).
PLURAL_MESSAGES = (
    ngettext_lazy(
        "Your password must contain at least %(min_length)d character.",
        "Your password must contain at least %(min_length)d characters.",
        2,
    ),
    ngettext_lazy(
        "This password is too short. It must contain at least %d character.",
        "This password is too short. It must contain at least %d characters.",
        2,
    ),
    ngettext_lazy(
        "Ensure this value has at most %(limit_value)d character (it has %(show_value)d).",
        "Ensure this value has at most %(limit_value)d characters (it has %(show_value)d).",
        2,
    ),
    ngettext_lazy(
        "Ensure this value has at least %(limit_value)d character (it has %(show_value)d).",
        "Ensure this value has at least %(limit_value)d characters (it has %(show_value)d).",
        2,
    ),
)
