"""Permission-checked fetch of a simulation run: managers see their own runs, staff every run;
anyone else gets the same 404 as for a run that does not exist."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404

from monitoring.metrics import is_manager
from monitoring.simulation.models import SimulationRun
from monitoring.simulation.selectors import simulation_runs_visible_to


def access_simulation_run(*, user: Any, run_id: int) -> SimulationRun:
    if not is_manager(user):
        raise PermissionDenied("Only managers see simulations.")
    run = simulation_runs_visible_to(user=user).filter(pk=run_id).first()
    if run is None:
        raise Http404("No such simulation run.")
    return run
