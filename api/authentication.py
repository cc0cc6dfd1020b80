"""`Authorization: Bearer <token>`: the only way into /api/v1/ (no session cookies, so no CSRF
questions and no browser riding on a logged-in user)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions

from .models import ApiToken
from .services import hash_key, touch


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if not header or header[0].lower() != self.keyword.lower():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                _("Send the token as: Authorization: Bearer <token>.")
            )
        token = ApiToken.objects.select_related("user").filter(key_hash=hash_key(header[1])).first()
        if token is None:
            raise exceptions.AuthenticationFailed(_("This token is not valid."))
        if token.is_revoked:
            raise exceptions.AuthenticationFailed(_("This token was revoked."))
        if token.is_expired:
            raise exceptions.AuthenticationFailed(
                _("This token expired on %(date)s. Create a new one on your API tokens page.")
                % {"date": timezone.localdate(token.expires_at).isoformat()}
            )
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("This token's user is deactivated."))
        touch(token)
        return token.user, token

    def authenticate_header(self, request) -> str:
        # Makes DRF answer 401 (not 403) with a WWW-Authenticate header.
        return f'{self.keyword} realm="api"'
