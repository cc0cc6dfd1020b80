"""/manage/webhooks/: admins register endpoints, read the delivery log and replay deliveries
(docs/decisions/0020). The work is in webhooks/outbox.py."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts.scope import admin_required
from core.listing import paginate

from . import outbox
from .forms import DeliveryFilterForm, EndpointForm
from .models import WebhookDelivery, WebhookEndpoint

PAGE_SIZE = 50


@admin_required
def endpoint_list(request):
    endpoints = WebhookEndpoint.objects.all()
    return render(request, "webhooks/endpoint_list.html", {"endpoints": endpoints})


@never_cache  # the page shows the endpoint's secret
@admin_required
@require_http_methods(["GET", "POST"])
def endpoint_create(request):
    form = EndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        endpoint = form.save(commit=False)
        endpoint.created_by = request.user
        endpoint._history_user = request.user
        endpoint.save()
        messages.success(
            request, _("The endpoint is saved. Give its secret to the receiving system.")
        )
        return redirect(endpoint)
    return render(request, "webhooks/endpoint_form.html", {"form": form, "endpoint": None})


@never_cache
@admin_required
@require_http_methods(["GET", "POST"])
def endpoint_edit(request, pk: int):
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
    form = EndpointForm(request.POST or None, instance=endpoint)
    if request.method == "POST" and form.is_valid():
        endpoint = form.save(commit=False)
        endpoint._history_user = request.user
        endpoint.save()
        messages.success(request, _("The endpoint is saved."))
        return redirect(endpoint)
    return render(request, "webhooks/endpoint_form.html", {"form": form, "endpoint": endpoint})


@admin_required
def delivery_list(request):
    """The delivery log, newest first, filtered by endpoint and status, 50 to a page."""
    filters = DeliveryFilterForm(request.GET or None)
    deliveries = WebhookDelivery.objects.select_related("endpoint").defer("payload")
    if filters.is_valid():
        if filters.cleaned_data["endpoint"]:
            deliveries = deliveries.filter(endpoint=filters.cleaned_data["endpoint"])
        if filters.cleaned_data["status"]:
            deliveries = deliveries.filter(status=filters.cleaned_data["status"])
    page = paginate(request, deliveries, PAGE_SIZE)
    return render(request, "webhooks/delivery_list.html", {"filters": filters, "page": page})


@admin_required
def delivery_detail(request, pk: int):
    delivery = get_object_or_404(WebhookDelivery.objects.select_related("endpoint"), pk=pk)
    return render(
        request,
        "webhooks/delivery_detail.html",
        {
            "delivery": delivery,
            "attempts": delivery.attempt_log.all(),
            "body": outbox.body_of(delivery).decode(),
        },
    )


@admin_required
@require_http_methods(["GET", "POST"])
def delivery_replay(request, pk: int):
    """GET asks to confirm; POST sends the delivery again (same id, same payload)."""
    delivery = get_object_or_404(WebhookDelivery.objects.select_related("endpoint"), pk=pk)
    if request.method == "POST":
        outbox.replay(delivery=delivery, by=request.user)
        messages.success(request, _("The delivery is being sent again."))
        return redirect(delivery)
    return render(request, "webhooks/delivery_replay.html", {"delivery": delivery})
