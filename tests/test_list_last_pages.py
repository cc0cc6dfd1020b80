"""The last page of a list costs what its first page costs (issue 23: deep list pages).

Each list is filled past two pages; its first page and its last (`?page=` past the end, which
every list answers with its last page) must run the same number of queries and show the rows
that belong there. Timings are in benchmarks/deep_pages.py and docs/performance.md."""

from __future__ import annotations

from datetime import timedelta

import pytest
from dateutil.relativedelta import relativedelta
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from followup import services as followup_services
from followup.models import Invitation
from webhooks.models import WebhookDelivery, WebhookEndpoint

from .factories import EnrolmentFactory, EventFactory, ParticipantFactory, SessionFactory

pytestmark = pytest.mark.django_db

PAST_THE_END = 10**6


def _get(client, url: str, **params):
    """The page and the number of queries it ran."""
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params)
    assert response.status_code == 200, (url, params, response.status_code)
    return response, len(ctx.captured_queries)


def test_the_call_list_is_paged_and_its_last_page_costs_what_the_first_does(
    client, login_as, settings, django_capture_on_commit_callbacks
):
    settings.FOLLOWUP_SMS_BACKEND = ""  # no SMS: people with a phone only are to be called
    last = timezone.localdate() - relativedelta(months=3)
    event = EventFactory(event_type="training", start_date=last - timedelta(days=1), end_date=last)
    SessionFactory(event=event, date=last)
    for i in range(55):
        person = ParticipantFactory(
            full_name=f"Caller {i:02d}", phone=f"+7 701 000 00 {i:02d}", followup_consent=True
        )
        EnrolmentFactory(event=event, participant=person)
    with django_capture_on_commit_callbacks(execute=True):
        followup_services.open_due_rounds()
    assert Invitation.objects.filter(channel="call").count() == 55

    login_as("coord.mangystau")
    url = reverse("followup:calls")
    first, first_queries = _get(client, url)
    assert len(first.context["calls"]) == 50
    assert "Page 1 of 2" in first.content.decode()
    assert "Caller 00" in first.content.decode() and "Caller 50" not in first.content.decode()

    final, final_queries = _get(client, url, page=PAST_THE_END)
    html = final.content.decode()
    assert [c.participant.full_name for c in final.context["calls"]] == [
        f"Caller {i}" for i in range(50, 55)
    ]
    assert "Page 2 of 2" in html and "Caller 49" not in html
    assert final_queries == first_queries


def test_the_webhook_log_last_page_costs_what_the_first_does(admin_client):
    endpoint = WebhookEndpoint.objects.create(name="Log", url="https://example.org/hook")
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(endpoint=endpoint, kind="event.created", payload={"n": i})
        for i in range(120)
    )
    oldest = WebhookDelivery.objects.order_by("created_at", "pk").first()
    url = reverse("webhooks:delivery_list")
    first, first_queries = _get(admin_client, url)
    final, final_queries = _get(admin_client, url, page=PAST_THE_END)
    assert final.context["page"].number == 3
    assert len(final.context["page"].object_list) == 20
    assert list(final.context["page"].object_list)[-1] == oldest
    assert final_queries == first_queries
