"""Analytics pages: the process analytics of a journey (tables and overlays on its diagram, drawn
from the analytics API by ``static/js/analytics.js``) and the dashboard's anomaly flags."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from monitoring.analytics import anomalies
from monitoring.dashboard_views import (
    FILTER_KEYS,
    _last_day,
    _query,
    _scope,
    manager_required,
)


@manager_required
def analytics_page(request: HttpRequest) -> HttpResponse:
    scope, error = _scope(request)
    journeys = list(scope.journeys())
    chosen = scope.journey or (journeys[0] if journeys else None)
    context = {
        "scope": scope,
        "error": error,
        "journeys": journeys,
        "chosen": chosen,
        "query": _query(request, "since", "until"),
        "since_day": scope.since.astimezone(scope.zone).date().isoformat(),
        "until_day": _last_day(scope),
    }
    return render(request, "monitoring/analytics.html", context, status=400 if error else 200)


@manager_required
def dashboard_anomalies(request: HttpRequest) -> HttpResponse:
    """The dashboard's anomaly flags (htmx partial)."""
    scope, _ = _scope(request)
    context = {"flags": anomalies.anomalies(scope), "query": _query(request, *FILTER_KEYS)}
    return render(request, "monitoring/_anomalies.html", context)
