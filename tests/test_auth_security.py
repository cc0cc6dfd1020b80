"""Authentication hardening and response headers: lockout after repeated failures, session
expiry after inactivity, CSP and other headers, no inline script or style in any template."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from axes.models import AccessAttempt, AccessLog
from django.conf import settings
from django.contrib.sessions.models import Session as DjangoSession

pytestmark = pytest.mark.django_db

PASSWORD = "demo-pass-123"


def _post_login_form(client, username, password, ip="10.0.0.7"):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_wrong_password_is_recorded_and_login_succeeds_before_the_limit(client, demo):
    assert _post_login_form(client, "coord.mangystau", "wrong").status_code == 200
    assert AccessAttempt.objects.get(username="coord.mangystau").failures_since_start == 1
    response = _post_login_form(client, "coord.mangystau", PASSWORD)
    assert response.status_code == 302
    # A successful login is logged and resets the failure counter.
    assert AccessLog.objects.filter(username="coord.mangystau").exists()
    assert not AccessAttempt.objects.filter(username="coord.mangystau").exists()


def test_lockout_after_five_failures_even_with_the_right_password(client, demo):
    limit = settings.AXES_FAILURE_LIMIT
    assert limit == 5
    for _ in range(limit - 1):
        assert _post_login_form(client, "coord.mangystau", "wrong").status_code == 200
    locked = _post_login_form(client, "coord.mangystau", "wrong")
    assert locked.status_code == 429
    assert b"Too many failed logins" in locked.content
    response = _post_login_form(client, "coord.mangystau", PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_lockout_is_by_username_and_ip(client, demo):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _post_login_form(client, "coord.mangystau", "wrong", ip="10.0.0.7")
    # Another user from the same IP, and the same user from another IP, can still log in.
    assert _post_login_form(client, "coord.kyzylorda", PASSWORD, ip="10.0.0.7").status_code == 302
    client.logout()
    assert _post_login_form(client, "coord.mangystau", PASSWORD, ip="10.0.0.8").status_code == 302


def test_session_expires_after_inactivity(client, demo, settings):
    from datetime import timedelta

    from django.utils import timezone

    assert settings.SESSION_COOKIE_AGE <= 8 * 3600
    assert settings.SESSION_REFRESH_SECONDS <= 60
    assert _post_login_form(client, "viewer", PASSWORD).status_code == 302
    key = client.session.session_key
    # Ten minutes later the user opens a page: the expiry moves forward, so the session lives
    # SESSION_COOKIE_AGE after the last request, not after the login.
    DjangoSession.objects.filter(session_key=key).update(
        expire_date=timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE - 600)
    )
    session = client.session
    session["_refreshed"] -= 600
    session.save()
    assert client.get("/").status_code == 200
    stored = DjangoSession.objects.get(session_key=key)
    assert stored.expire_date > timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE - 60)
    DjangoSession.objects.filter(session_key=key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    response = client.get("/")
    assert response.status_code == 302
    assert response.url.startswith("/login/")


def test_pages_opened_within_a_minute_write_no_session(client, demo):
    """The expiry moves at most once a minute: the pages in between read the session only
    (saving it on every request cost each page an UPDATE and a COMMIT)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    assert _post_login_form(client, "viewer", PASSWORD).status_code == 302
    client.get("/")
    with CaptureQueriesContext(connection) as ctx:
        for _ in range(3):
            assert client.get("/").status_code == 200
    writes = [q["sql"] for q in ctx.captured_queries if "django_session" in q["sql"]]
    assert writes and not any(sql.startswith(("UPDATE", "INSERT")) for sql in writes)


def test_security_headers_on_a_page(client, demo):
    response = client.get("/login/")
    csp = response.headers["Content-Security-Policy"]
    directives = dict(
        (part.strip().split(" ", 1) + [""])[:2] for part in csp.split(";") if part.strip()
    )
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert directives["base-uri"] == "'self'"
    assert directives["form-action"] == "'self'"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "camera=()" in response.headers["Permissions-Policy"]


def test_session_cookie_is_http_only(client, demo):
    _post_login_form(client, "viewer", PASSWORD)
    assert client.cookies[settings.SESSION_COOKIE_NAME]["httponly"]


# Templates ----------------------------------------------------------------------------------
INLINE_RULES = [
    (re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.I), "inline <script> (use static/js)"),
    (re.compile(r"<style\b", re.I), "<style> block (use static/css)"),
    (re.compile(r"\sstyle\s*=", re.I), "style= attribute (use a CSS class)"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "on*= event handler (use static/js)"),
    (re.compile(r"\shx-on(:|-|\s*=)", re.I), "hx-on (evaluated inline: use static/js)"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
]
# <script type="application/json"> (json_script) is data, not code: allowed.
DATA_SCRIPT = re.compile(r"<script\b[^>]*type=\"application/(ld\+)?json\"", re.I)


def _template_files() -> list[Path]:
    root = Path(settings.BASE_DIR)
    files = list((root / "templates").rglob("*.html"))
    for app in ("accounts", "regions", "trainings", "participants", "reports"):
        files += list((root / app / "templates").rglob("*.html"))
    return sorted(files)


def test_no_inline_script_or_style_in_any_template():
    problems = []
    files = _template_files()
    assert files
    for path in files:
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for rule, what in INLINE_RULES:
                if rule.search(line) and not DATA_SCRIPT.search(line):
                    rel = path.relative_to(settings.BASE_DIR)
                    problems.append(f"{rel}:{lineno}: {what}")
    assert not problems, "CSP forbids inline code:\n" + "\n".join(problems)


# Two-factor login ---------------------------------------------------------------------------
def _code(device):
    from django_otp.oath import totp

    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def test_staff_turns_on_two_factor_and_then_needs_the_code_to_log_in(client, demo):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    assert _post_login_form(client, "undp.staff", PASSWORD).status_code == 302
    assert client.post("/account/two-factor/", {"action": "start"}).status_code == 302
    page = client.get("/account/two-factor/")
    assert page.status_code == 200
    assert page.context["qr"].startswith("data:image/svg+xml")
    device = TOTPDevice.objects.get(user__username="undp.staff", confirmed=False)
    assert client.post("/account/two-factor/", {"token": "000000"}).status_code == 200
    device.throttle_reset()  # a wrong code throttles the next try for a second
    assert client.post("/account/two-factor/", {"token": _code(device)}).status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    client.post("/logout/")

    assert _post_login_form(client, "undp.staff", PASSWORD).status_code == 302
    blocked = client.get("/events/")
    assert blocked.status_code == 302 and blocked.url.startswith("/login/code/")
    assert client.post("/login/code/", {"token": "123456", "next": "/events/"}).status_code == 200
    device.refresh_from_db()
    device.last_t = -1  # the same code may not be used twice; allow it for the test
    device.save()
    device.throttle_reset()
    response = client.post("/login/code/", {"token": _code(device), "next": "/events/"})
    assert response.status_code == 302 and response.url == "/events/"
    assert client.get("/events/").status_code == 200


def test_viewers_and_coordinators_have_no_two_factor_page(client, login_as, demo):
    login_as("viewer")
    assert client.get("/account/two-factor/").status_code == 403
