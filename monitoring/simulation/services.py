"""Asking for a simulation and running it: the run row, its audit event, the Celery job, and
progress told to the asker's open pages over the live socket."""

from __future__ import annotations

import logging
import time
from typing import Any, Final

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from monitoring.metrics import is_manager, scope_for
from monitoring.services import audit_record
from monitoring.simulation import inputs
from monitoring.simulation.engine import replicate
from monitoring.simulation.models import SIMULATION_TRANSITIONS, SimulationRun, SimulationStatus
from monitoring.simulation.scenario import Scenario, ScenarioError, make_setup, read_scenario
from processes.models import Journey, JourneyVersion, VersionStatus
from workflow_site import effects
from workflow_site.errors import ApplicationError

logger = logging.getLogger("itinera.simulation")
#: Progress is stored and told at most this often (seconds).
PROGRESS_INTERVAL: Final = 0.5


def _error(error: ScenarioError, prefix: str = "scenario.") -> ApplicationError:
    keep = ("journey", "version", "scenario")
    field = error.field if error.field in keep else f"{prefix}{error.field}"
    return ApplicationError(error.code, error.message, field=field)


def check_manager(user: Any) -> None:
    if not is_manager(user):
        raise PermissionDenied("Only managers run simulations.")


def journey_for(*, user: Any, key: Any) -> Journey:
    """A journey the manager oversees, by key (400 naming ``journey`` otherwise)."""
    if not isinstance(key, str) or not key:
        raise ApplicationError("required", "Name the journey (its key).", field="journey")
    journey = scope_for(user=user).journeys().filter(key=key[:100]).first()
    if journey is None:
        raise ApplicationError("unknown_journey", "There is no such journey.", field="journey")
    return journey


def version_for(*, journey: Journey, version: Any) -> JourneyVersion:
    """``"draft"``, a version number, or None for the latest published (else the draft)."""
    versions = journey.versions.all()
    found: JourneyVersion | None
    if version is None or version == "":
        found = (
            versions.filter(status=VersionStatus.PUBLISHED).order_by("-number").first()
            or versions.filter(status=VersionStatus.DRAFT).first()
        )
    elif version == "draft":
        found = versions.filter(status=VersionStatus.DRAFT).first()
    elif isinstance(version, int) and not isinstance(version, bool):
        found = versions.filter(number=version).first()
    else:
        raise ApplicationError("invalid", 'Give a version number or "draft".', field="version")
    if found is None:
        raise ApplicationError(
            "unknown_version", "The journey has no such version.", field="version"
        )
    return found


def _prepare(version: JourneyVersion, scenario: Scenario) -> tuple[Any, dict[str, Any]]:
    process, graph = inputs.simulation_graph(version)
    facts = inputs.gather_facts(
        version=version, graph=graph, process=process, scenario=scenario, now=timezone.now()
    )
    return make_setup(graph, scenario, facts)


@transaction.atomic
def simulation_run_request(
    *, actor: Any, journey_key: Any, version: Any, scenario: Any
) -> SimulationRun:
    """Check the scenario against the version and what history says (a 400 naming the field
    at fault), store the run and queue its job (after commit)."""
    check_manager(actor)
    journey = journey_for(user=actor, key=journey_key)
    chosen = version_for(journey=journey, version=version)
    try:
        parsed = read_scenario(scenario)
        _, assumptions = _prepare(chosen, parsed)
    except ScenarioError as error:
        raise _error(error) from None
    run = SimulationRun.objects.create(
        journey=journey,
        version=chosen,
        version_number=chosen.number,
        version_status=chosen.status,
        bpmn_xml=chosen.bpmn_xml,
        name=parsed.name or f"{journey.name} v{chosen.number}",
        scenario=parsed.as_dict(),
        assumptions=assumptions,
        created_by=actor,
    )
    audit_record(
        type="simulation.requested",
        actor=actor,
        object_type="simulation",
        object_id=run.pk,
        journey_id=journey.pk,
        after={"version": chosen.number, "scenario": run.scenario},
    )
    from monitoring.jobs import simulation_run

    effects.enqueue_on_commit(simulation_run, run.pk)
    return run


def _tell(run: SimulationRun) -> None:
    effects.broadcast_on_commit(
        f"user.{run.created_by_id}",
        {
            "kind": "simulation",
            "run": run.pk,
            "status": run.status,
            "progress": round(run.progress, 3),
        },
    )


def _move(run: SimulationRun, target: str, **fields: Any) -> None:
    SIMULATION_TRANSITIONS.check(run.status, target)
    run.status = target
    for name, value in fields.items():
        setattr(run, name, value)
    run.save(update_fields=["status", *fields])
    _tell(run)


def simulation_run_execute(*, run_id: int) -> SimulationRun | None:
    """Run a queued simulation (the Celery job's body; safe to call again: a run that is not
    queued is left as it is). Progress is stored and told as it goes."""
    with transaction.atomic():
        run = SimulationRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None or run.status != SimulationStatus.QUEUED:
            return run
        _move(run, SimulationStatus.RUNNING, started_at=timezone.now(), progress=0.0)
    last = 0.0

    def progress(fraction: float) -> None:
        nonlocal last
        moment = time.monotonic()
        if moment - last < PROGRESS_INTERVAL:
            return
        last = moment
        run.progress = min(fraction, 0.99)
        SimulationRun.objects.filter(pk=run.pk).update(progress=run.progress)
        _tell(run)

    try:
        if run.version is None:
            raise ScenarioError("unknown_version", "The version was deleted.", "version")
        scenario = read_scenario(run.scenario)
        setup, assumptions = _prepare(run.version, scenario)
        result = replicate(
            setup, replications=scenario.replications, seed=scenario.seed, progress=progress
        )
    except Exception as error:
        if isinstance(error, ScenarioError):
            message = error.message
        elif isinstance(error, ValueError):
            message = str(error)
        else:
            logger.exception("simulation run %s failed", run.pk)
            message = "The simulation failed unexpectedly; the error was logged."
        with transaction.atomic():
            _move(run, SimulationStatus.FAILED, error=message[:2000], finished_at=timezone.now())
        return run
    with transaction.atomic():
        _move(
            run,
            SimulationStatus.DONE,
            progress=1.0,
            result=result,
            assumptions=assumptions,
            finished_at=timezone.now(),
        )
    return run
