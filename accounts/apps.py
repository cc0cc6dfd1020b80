from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Users and access")

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from config.sqlite import install_unicode_functions

        from . import audit, two_factor  # noqa: F401  (connect the login signal receivers)

        connection_created.connect(install_unicode_functions, dispatch_uid="qadam-sqlite-unicode")

        from django.contrib.auth.signals import user_logged_in

        from .middleware import mark_refreshed_at_login

        user_logged_in.connect(mark_refreshed_at_login, dispatch_uid="qadam-session-refreshed")
