"""Pages of the processes app: start a journey, the instances you may see, one instance live."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from processes import selectors, services
from processes.access import access_instance, access_journey
from processes.models import InstanceStatus
from workflow_site.errors import ApplicationError


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The journeys the signed-in user may start."""
    journeys = selectors.journeys_startable_by(user=request.user)
    return render(request, "processes/home.html", {"journeys": journeys})


class StartForm(forms.Form):
    business_key = forms.CharField(
        max_length=200,
        required=False,
        label="Business key",
        help_text="Your reference for this case, e.g. an application number.",
    )
    notes = forms.CharField(
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Anything the first person working on the case should know.",
    )


@login_required
def start(request: HttpRequest, journey_id: int) -> HttpResponse:
    """Start an instance of a journey (its latest published version)."""
    journey = access_journey(user=request.user, journey_id=journey_id)
    form = StartForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = {"notes": form.cleaned_data["notes"]} if form.cleaned_data["notes"] else {}
        try:
            instance = services.instance_start(
                actor=request.user,
                journey=journey,
                data=data,
                business_key=form.cleaned_data["business_key"],
            )
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, f"{journey.name} started.")
            return redirect("instance-page", instance_id=instance.pk)
    return render(request, "processes/start.html", {"journey": journey, "form": form})


@login_required
def instance_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status") or None
    if status is not None and status not in InstanceStatus.values:
        status = None
    instances = selectors.instance_list(
        user=request.user, status=status, journey=request.GET.get("journey") or None
    )
    page = Paginator(instances, 25).get_page(request.GET.get("page") or 1)
    return render(
        request,
        "processes/instances.html",
        {"page": page, "status": status, "statuses": InstanceStatus.choices},
    )


@login_required
def instance_page(request: HttpRequest, instance_id: int) -> HttpResponse:
    instance = access_instance(user=request.user, instance_id=instance_id)
    context = {
        "instance": instance,
        "history": instance.events.select_related("actor").order_by("-at", "-id")[:100],
        "incidents": instance.incidents.filter(resolved_at__isnull=True),
        "tasks": instance.tasks.select_related("assignee").order_by("-created_at")[:50],
        "can_operate": selectors.may_operate(actor=request.user, instance=instance),
    }
    return render(request, "processes/instance.html", context)


@login_required
def instance_diagram(request: HttpRequest, instance_id: int) -> HttpResponse:
    """The version's BPMN and the element states, for the live diagram."""
    instance = access_instance(user=request.user, instance_id=instance_id)
    states: dict[str, Any] = selectors.instance_diagram_states(instance=instance)
    return JsonResponse({"bpmn_xml": instance.version.bpmn_xml, **states})


OPERATIONS = {"suspend", "resume", "cancel", "terminate"}


@login_required
@require_POST
def instance_operate(request: HttpRequest, instance_id: int, operation: str) -> HttpResponse:
    if operation not in OPERATIONS and operation != "retry":
        raise Http404("No such operation.")
    reason = request.POST.get("reason", "")
    try:
        with transaction.atomic():
            access_instance(user=request.user, instance_id=instance_id)
            if operation == "suspend":
                services.instance_suspend(
                    actor=request.user, instance_id=instance_id, reason=reason
                )
            elif operation == "resume":
                services.instance_resume(actor=request.user, instance_id=instance_id)
            elif operation == "cancel":
                services.instance_cancel(actor=request.user, instance_id=instance_id, reason=reason)
            elif operation == "terminate":
                services.instance_terminate(
                    actor=request.user, instance_id=instance_id, reason=reason
                )
            else:
                incident = request.POST.get("incident", "")
                if not incident.isdigit() or not selectors.instance_has_incident(
                    instance_id=instance_id, incident_id=int(incident)
                ):
                    raise Http404("No such incident.")
                services.incident_retry(actor=request.user, incident_id=int(incident))
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Done: {operation}.")
    return redirect("instance-page", instance_id=instance_id)
