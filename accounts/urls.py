from django.urls import path

from . import preference_views, two_factor
from . import user_views as views

app_name = "accounts"
urlpatterns = [
    path("users/", views.user_list, name="user_list"),
    path("users/new/", views.user_create, name="user_create"),
    path("users/<int:pk>/", views.user_edit, name="user_edit"),
    path("users/<int:pk>/password-link/", views.user_set_password_link, name="user_password_link"),
    path("users/<int:pk>/deactivate/", views.user_deactivate, name="user_deactivate"),
    path(
        "users/set-password/<uidb64>/<token>/", views.SetPasswordView.as_view(), name="set_password"
    ),
    path("account/mail/", preference_views.mail_preferences, name="mail_preferences"),
    path("account/two-factor/", two_factor.setup, name="two_factor_setup"),
    path("audit/", views.audit_log, name="audit_log"),
    path("audit/security/", views.security_log, name="security_log"),
]
