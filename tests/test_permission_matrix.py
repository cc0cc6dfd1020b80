"""Every URL of the project x every role: the expected status, no personal data for viewers,
the CSP header on every response. Expectations live in tests/permission_matrix.py."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from .permission_matrix import ADMIN_SAMPLES, MATRIX, OBJECTS, ROLES, SKIP_PREFIXES

pytestmark = pytest.mark.django_db

USERS = {
    "viewer": "viewer",
    "coordinator_own": "coord.mangystau",
    "coordinator_other": "coord.kyzylorda",
    "staff": "undp.staff",
    "admin": "admin",
}


def _walk(patterns, namespace: str = "", prefix: str = ""):
    """(full name, route) of every pattern, recursively through includes and namespaces."""
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = namespace
            if p.namespace:
                ns = f"{namespace}{p.namespace}:"
            yield from _walk(p.url_patterns, ns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            route = prefix + str(p.pattern)
            name = f"{namespace}{p.name}" if p.name else None
            yield name, route


def project_urls() -> dict[str, str]:
    """URL name -> route for every pattern the matrix must cover."""
    found: dict[str, str] = {}
    for name, route in _walk(get_resolver().url_patterns):
        if route.lstrip("^").startswith(("static/", "media/")):
            continue
        if name is None and route.startswith("admin/"):
            continue  # Django admin's redirects and object URLs without a name
        if name is None:
            found[f"<unnamed {route}>"] = route
            continue
        if name in ADMIN_SAMPLES:
            found[name] = route
            continue
        if any(name.startswith(p) for p in SKIP_PREFIXES):
            continue
        found[name] = route
    return found


URLS = project_urls()
CASES = sorted(n for n in URLS if n in MATRIX)


def test_every_url_is_in_the_matrix():
    missing = sorted(set(URLS) - set(MATRIX))
    assert not missing, (
        "These URLs have no expectation: add them to tests/permission_matrix.py: "
        + ", ".join(f"{n} ({URLS[n]})" for n in missing)
    )


def test_matrix_has_no_stale_entries():
    assert not sorted(set(MATRIX) - set(URLS)), "remove entries of URLs that no longer exist"


def test_every_entry_names_every_role():
    for name, entry in MATRIX.items():
        assert set(entry.expect) == set(ROLES), name


def _resolve_kwargs(spec: dict[str, str]) -> dict[str, object]:
    kwargs = {}
    cache: dict[str, object] = {}
    for key, value in spec.items():
        if value.startswith("="):
            kwargs[key] = value[1:]
            continue
        obj_name, _, attr = value.partition(".")
        if obj_name not in cache:
            cache[obj_name] = OBJECTS[obj_name]()
            assert cache[obj_name] is not None, f"no {obj_name} of region A in the demo data"
        kwargs[key] = getattr(cache[obj_name], attr or "pk")
    return kwargs


@pytest.fixture
def demo_person_names(demo):
    """Names of demo people of region A: never in a viewer's (or another region's
    coordinator's) page."""
    return [OBJECTS["person"]().full_name]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", CASES)
def test_permission_matrix(client, login_as, demo, demo_person_names, name, role):
    entry = MATRIX[name]
    url = reverse(name, kwargs=_resolve_kwargs(entry.kwargs)) + entry.query
    headers = {}
    if role != "anonymous" and URLS[name].startswith("api/v1/"):
        # The REST API opens to a Bearer token only: the role's own token, not its session.
        from accounts.models import User
        from api.services import create_token

        _token, secret = create_token(user=User.objects.get(username=USERS[role]), name="matrix")
        headers["Authorization"] = f"Bearer {secret}"
    elif role != "anonymous":
        login_as(USERS[role])
    response = client.get(url, headers=headers)
    expected = entry.expect[role]
    assert response.status_code == expected, (
        f"{role} GET {url} ({name}): {response.status_code}, expected {expected}"
    )
    assert "Content-Security-Policy" in response.headers, f"no CSP on {url}"
    if response.status_code == 200 and role in ("viewer", "coordinator_other"):
        body = b"".join(response.streaming_content) if response.streaming else response.content
        text = body.decode("utf-8", errors="replace")
        for person in demo_person_names:
            assert person not in text, f"{role} sees personal data ({person}) on {url}"
