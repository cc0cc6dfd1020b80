"""The API in a real browser: a viewer on a 360 px phone makes a token (shown once), uses it,
then revokes it; the Swagger UI docs page runs under the Content-Security-Policy from Qadam's
own files. axe on the tokens page."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from api.models import ApiToken

from .browser_fixtures import assert_accessible, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_viewer_makes_uses_and_revokes_a_token_on_a_phone(phone, demo):
    login(phone, "viewer")
    phone.get_by_role("button", name="Show menu").click()
    # A click on the account menu while the collapsed menu is still sliding open can be lost:
    # wait until it has finished opening (as tests/test_journey_offline.py does).
    expect(phone.locator("#main-nav.show")).to_be_visible()
    phone.locator("#nav-account").click()
    phone.get_by_role("link", name="API tokens").click()
    assert_accessible(phone)

    phone.get_by_label("Name").fill("Power BI")
    phone.get_by_label("Valid for (days)").fill("30")
    phone.get_by_role("button", name="Create a token").click()
    secret = phone.get_by_label("Token").input_value()
    assert secret.startswith(ApiToken.objects.get(name="Power BI").key_prefix)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    assert_accessible(phone)

    answer = phone.request.get(
        phone.base + "/api/v1/events/", headers={"Authorization": f"Bearer {secret}"}
    )
    assert answer.status == 200
    assert (
        phone.request.get(
            phone.base + "/api/v1/participants/", headers={"Authorization": f"Bearer {secret}"}
        ).status
        == 403
    )

    phone.get_by_role("button", name="Revoke Power BI").click()
    assert phone.get_by_text("Revoked", exact=True).is_visible()
    assert (
        phone.request.get(
            phone.base + "/api/v1/events/", headers={"Authorization": f"Bearer {secret}"}
        ).status
        == 401
    )


def test_the_docs_page_runs_swagger_ui_from_the_app_itself(page, demo):
    hosts = set()
    page.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))
    page.goto(page.base + "/api/docs/")
    page.locator(".swagger-ui .info .title").wait_for()
    assert "Qadam API" in page.locator(".swagger-ui .info .title").inner_text()
    page.locator(".opblock-summary-path", has_text="/api/v1/events/").first.wait_for()
    assert hosts == {urlsplit(page.base).netloc}
