"""The network address a request came from: the one place that reads it (the audit trail, the
login lockout through AXES_CLIENT_IP_CALLABLE, the public feedback form's and IATI file's rate
limits all ask `client_ip`).

Without a trusted proxy (TRUSTED_PROXY_COUNT = 0, the default) it is REMOTE_ADDR and any
X-Forwarded-For a client sends is ignored: anyone can write that header. Behind N trusted
reverse proxies that each append the address they saw to TRUSTED_PROXY_HEADER (nginx's
`$proxy_add_x_forwarded_for`), the client is the N-th address counted from the right: the one
our outermost proxy appended. Addresses further left were written by the client and are never
used."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _header_key(header: str) -> str:
    """ "X-Forwarded-For" -> "HTTP_X_FORWARDED_FOR" (a META key is accepted as it is)."""
    key = header.strip().upper().replace("-", "_")
    return key if key.startswith("HTTP_") or key == "REMOTE_ADDR" else f"HTTP_{key}"


def _valid(address: str) -> str | None:
    address = address.strip()
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address, or None when the request carries none that is valid."""
    if request is None:
        return None
    remote = _valid(request.META.get("REMOTE_ADDR") or "")
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    chain = [
        part
        for part in request.META.get(_header_key(settings.TRUSTED_PROXY_HEADER), "").split(",")
        if part.strip()
    ]
    if len(chain) < count:
        # Fewer hops than trusted proxies: the request did not come through all of them (or
        # a proxy is misconfigured), so the header proves nothing.
        return remote
    return _valid(chain[-count]) or remote
