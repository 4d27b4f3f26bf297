"""Reads of simulation runs."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from monitoring.simulation.models import SimulationRun


def simulation_runs_visible_to(*, user: Any) -> QuerySet[SimulationRun]:
    """Staff see every run; other managers the runs they asked for. Newest first."""
    runs = SimulationRun.objects.select_related("journey", "created_by")
    if not (user.is_staff or user.is_superuser):
        runs = runs.filter(created_by=user)
    return runs.order_by("-created_at", "-pk")
