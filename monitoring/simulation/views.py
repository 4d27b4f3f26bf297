"""The what-if page: pick a journey version (its draft too), change staffing, arrivals or a
step's duration, run two scenarios and compare them side by side (``static/js/whatif.js``)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from monitoring.dashboard_views import manager_required
from monitoring.metrics import scope_for
from monitoring.simulation import graph as sg
from monitoring.simulation.inputs import simulation_graph
from monitoring.simulation.scenario import ScenarioError
from monitoring.simulation.selectors import simulation_runs_visible_to
from processes.models import VersionStatus
from tasks.models import Role


def _people() -> dict[str, int]:
    """Active people per role key."""
    return dict(
        Role.objects.annotate(
            people=Count("group__user", filter=Q(group__user__is_active=True), distinct=True)
        ).values_list("key", "people")
    )


def _versions(journeys: list[Any]) -> list[dict[str, Any]]:
    """Each journey's versions a manager may simulate: published and draft ones, newest first,
    with the steps, roles and choices of each (what the scenario form offers to change)."""
    people = _people()
    found = []
    for journey in journeys:
        for version in journey.versions.exclude(status=VersionStatus.RETIRED).order_by("-number"):
            try:
                graph = simulation_graph(version)[1]
            except ScenarioError:
                continue
            found.append(
                {
                    "journey": journey.key,
                    "journey_name": journey.name,
                    "version": "draft" if version.status == VersionStatus.DRAFT else version.number,
                    "number": version.number,
                    "status": version.status,
                    "roles": [role for role in graph.roles() if role],
                    "people": {role: people.get(role, 0) for role in graph.roles() if role},
                    "steps": [
                        {"id": graph.element_ids[n], "name": graph.names[n]}
                        for n in graph.activities()
                        if graph.code[n] == sg.TASK or graph.expected_seconds[n] is not None
                    ],
                    "choices": [
                        {
                            "id": graph.element_ids[n],
                            "name": graph.names[n],
                            "flows": [
                                {"id": b.flow_id, "name": b.name or graph.names[b.target]}
                                for b in graph.branches[n]
                            ],
                        }
                        for n in graph.choices()
                    ],
                }
            )
    return found


@manager_required
def whatif_page(request: HttpRequest) -> HttpResponse:
    journeys = list(scope_for(user=request.user).journeys().prefetch_related("versions"))
    context = {
        "versions": _versions(journeys),
        "recent": simulation_runs_visible_to(user=request.user)[:10],
    }
    return render(request, "monitoring/whatif.html", context)
