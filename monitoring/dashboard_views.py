"""The managers' dashboard: SLA tiles with drill-down lists, throughput and cycle times,
compliance, workload, the slowest steps on the journey's diagram, and the live list of active
instances. The page and its htmx partials read ``monitoring.metrics``; the charts read the
monitoring API; both refresh when the live socket says the figures changed."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render

from monitoring import metrics
from workflow_site.errors import ApplicationError

DRILL_DOWN_SIZE = 25
ACTIVE_PAGE_SIZE = 20
STATE_LABELS = {
    "on_track": "On track",
    "at_risk": "At risk",
    "breached": "Breached",
    "paused": "Paused",
}


def manager_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Managers (staff, or managers of a role); signed-out people are sent to sign in and
    everyone else is refused (403)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not metrics.is_manager(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _scope(request: HttpRequest) -> tuple[metrics.Scope, ApplicationError | None]:
    """The scope the query asks for; a bad query falls back to the default one, with the error."""
    try:
        return metrics.scope_from_query(user=request.user, query=request.GET), None
    except ApplicationError as error:
        return metrics.scope_from_query(user=request.user, query={}), error


def _query(request: HttpRequest, *keep: str) -> str:
    query = QueryDict(mutable=True)
    for key in keep:
        if request.GET.get(key):
            query[key] = request.GET[key]
    return query.urlencode()


FILTER_KEYS = ("since", "until", "journey", "role")


@manager_required
def dashboard(request: HttpRequest) -> HttpResponse:
    scope, error = _scope(request)
    journeys = list(scope.journeys())
    heat_journey = scope.journey or (journeys[0] if journeys else None)
    context = {
        "scope": scope,
        "error": error,
        "figures": metrics.metrics(scope),
        **_compliance_context(metrics.sla_compliance(scope)),
        "now_moment": scope.now,
        "journeys": journeys,
        "roles": list(scope.roles()),
        "heat_journey": heat_journey,
        "query": _query(request, *FILTER_KEYS),
        "since_day": scope.since.astimezone(scope.zone).date().isoformat(),
        "until_day": _last_day(scope),
        "states": STATE_LABELS,
        "active": Paginator(metrics.active_instances(scope), ACTIVE_PAGE_SIZE).get_page(1),
    }
    return render(request, "monitoring/dashboard.html", context, status=400 if error else 200)


def _last_day(scope: metrics.Scope) -> str:
    from datetime import timedelta

    return (scope.until - timedelta(microseconds=1)).astimezone(scope.zone).date().isoformat()


@manager_required
def dashboard_tasks(request: HttpRequest) -> HttpResponse:
    """The drill-down list of open tasks in one SLA state (htmx partial)."""
    state = request.GET.get("state", "")
    if state not in STATE_LABELS:
        raise Http404("No such SLA state.")
    scope, _ = _scope(request)
    tasks = metrics.sla_tasks(scope, state)
    context = {
        "state": state,
        "label": STATE_LABELS[state],
        "tasks": tasks[:DRILL_DOWN_SIZE],
        "total": tasks.count(),
        "shown": DRILL_DOWN_SIZE,
    }
    return render(request, "monitoring/dashboard_tasks.html", context)


@manager_required
def dashboard_active(request: HttpRequest) -> HttpResponse:
    """The live list of active instances (htmx partial)."""
    scope, _ = _scope(request)
    page = Paginator(metrics.active_instances(scope), ACTIVE_PAGE_SIZE).get_page(
        request.GET.get("page") or 1
    )
    context = {"active": page, "query": _query(request, *FILTER_KEYS), "now_moment": scope.now}
    return render(request, "monitoring/dashboard_active.html", context)


@manager_required
def dashboard_compliance(request: HttpRequest) -> HttpResponse:
    """SLA compliance per journey, step and role (htmx partial)."""
    scope, _ = _scope(request)
    context = {
        **_compliance_context(metrics.sla_compliance(scope)),
        "query": _query(request, *FILTER_KEYS),
    }
    return render(request, "monitoring/dashboard_compliance.html", context)


def _compliance_context(compliance: dict[str, Any]) -> dict[str, Any]:
    return {
        "compliance": compliance,
        "compliance_tables": [
            ("Task SLAs per journey", compliance["by_journey"], "Journey"),
            ("Task SLAs per step", compliance["by_step"], "Step"),
            ("Task SLAs per role", compliance["by_role"], "Role"),
            ("Journey SLAs", compliance["journeys"], "Journey"),
        ],
    }
