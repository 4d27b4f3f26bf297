"""Reads of journeys and versions that are more than a plain get."""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Sequence
from typing import Any, Final

from django.db.models import IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.fields.json import KeyTransform

from processes import permissions
from processes.engine.model import Definitions, Finding
from processes.models import (
    Incident,
    InstanceEvent,
    InstanceStatus,
    Journey,
    JourneyVersion,
    ProcessInstance,
    VersionStatus,
)
from tasks.models import LIVE_TASK_STATUSES, Task
from workflow_site import statements
from workflow_site.errors import ApplicationError

#: Longest events script a simulation runs (each event is one engine step).
MAX_SCRIPT_EVENTS: Final = 10_000


def _latest_published_number() -> Subquery:
    return Subquery(
        JourneyVersion.objects.filter(journey=OuterRef("pk"), status=VersionStatus.PUBLISHED)
        .order_by("-number")
        .values("number")[:1],
        output_field=IntegerField(),
    )


def journeys_startable_by(*, user: Any) -> QuerySet[Journey]:
    """Journeys ``user`` may start that have a published version, with ``published_number``."""
    return (
        permissions.journeys_with(user, [permissions.START])
        .annotate(published_number=_latest_published_number())
        .filter(published_number__isnull=False)
        .order_by("name", "pk")
    )


def journeys_visible_to(*, user: Any) -> QuerySet[Journey]:
    """Journeys ``user`` may see (view, start or design), with ``published_number``."""
    return (
        permissions.journeys_with(user, [permissions.VIEW, permissions.START, permissions.DESIGN])
        .annotate(published_number=_latest_published_number())
        .order_by("name", "pk")
    )


def journey_version_latest_published(*, journey: Journey) -> JourneyVersion | None:
    return journey.versions.filter(status=VersionStatus.PUBLISHED).order_by("-number").first()


def journey_version_draft(*, journey: Journey) -> JourneyVersion | None:
    return journey.versions.filter(status=VersionStatus.DRAFT).first()


def journey_by_key(*, key: str) -> Journey | None:
    return Journey.objects.filter(key=key).first()


def journey_versions(*, journey: Journey) -> QuerySet[JourneyVersion]:
    """Every version of the journey, newest first (without loading their BPMN)."""
    return (
        JourneyVersion.objects.filter(journey=journey)
        .defer("bpmn_xml")
        .select_related("created_by", "published_by", "retired_by")
        .order_by("-number")
    )


def bpmn_findings(*, bpmn_xml: str) -> dict[str, Any]:
    """``{"valid", "findings"}`` of a BPMN document: what the engine's validation says of it.

    A document that is not BPMN 2.0 at all is a 400 ``invalid_bpmn`` naming ``bpmn_xml``.
    """
    from processes.bpmn.importer import import_definitions
    from processes.engine.validate import has_errors, validate
    from processes.services import check_bpmn

    check_bpmn(bpmn_xml=bpmn_xml)
    findings = validate(import_definitions(bpmn_xml))
    return {
        "valid": not has_errors(findings),
        "findings": [finding.as_dict() for finding in findings],
    }


def form_findings(definitions: Definitions) -> list[Finding]:
    """Task forms that cannot be turned into a form schema, as findings on their task
    (publishing refuses them; the designer shows them)."""
    from tasks.forms import form_schema

    findings = []
    for process in definitions.processes.values():
        for node in process.nodes.values():
            if not node.form:
                continue
            try:
                form_schema(node.form)
            except ApplicationError as error:
                findings.append(
                    Finding("error", node.id, "bad-form", error.message, element_type=node.type)
                )
    return findings


def journey_version_export(*, version: JourneyVersion) -> bytes:
    """The version's BPMN as the exporter writes it (UTF-8 XML)."""
    from processes.bpmn.exporter import export
    from processes.bpmn.importer import load

    return export(load(version.bpmn_xml))


def journey_version_play(*, version: JourneyVersion, script: Any) -> list[dict[str, Any]]:
    """The lines of ``itinera play`` for the version's BPMN and an events script, run in memory.

    A script of the wrong shape is a 400 naming ``script``; a process the engine cannot run
    names ``version``; an engine incident carries the lines played before it.
    """
    from processes.bpmn.importer import import_definitions
    from processes.engine.compiled import CompileError
    from processes.engine.core import Incident as EngineIncident
    from processes.engine.play import ScriptError, format_line, play, read_script

    try:
        _, events, _ = read_script(script)
    except ScriptError as error:
        raise ApplicationError("invalid_script", str(error), field="script") from None
    if len(events) > MAX_SCRIPT_EVENTS:
        raise ApplicationError(
            "invalid_script",
            f"A script has at most {MAX_SCRIPT_EVENTS} events.",
            field="script",
        )
    lines: list[dict[str, Any]] = []
    try:
        # The same JSON as the console script prints, whatever the engine put in a line.
        lines.extend(
            json.loads(format_line(line))
            for line in play(import_definitions(version.bpmn_xml), script)
        )
    except ScriptError as error:
        raise ApplicationError("invalid_script", str(error), field="script") from None
    except CompileError as error:
        raise ApplicationError(
            "invalid_process",
            f"{error.element_id}: {error.message}",
            field="version",
            details={"element_id": error.element_id},
        ) from None
    except KeyError as error:
        raise ApplicationError("invalid_process", str(error.args[0]), field="version") from None
    except EngineIncident as error:
        raise ApplicationError(
            "engine_incident",
            error.message,
            details={"element_id": error.element_id, "lines": lines},
        ) from None
    return lines


class InstanceRows:
    """The instance with its version (less its BPMN text: the cached engine stands for it) and
    journey, as one SELECT built once: ``columns`` and ``tables`` (the FROM clause) to build a
    statement from, and ``read`` to turn its row back into the objects."""

    def __init__(self) -> None:
        self.instance = statements.Columns(ProcessInstance)
        self.version = statements.Columns(JourneyVersion, deferred=("bpmn_xml",))
        self.journey = statements.Columns(Journey)
        self.columns = f"{self.instance.sql}, {self.version.sql}, {self.journey.sql}"
        instances, versions, journeys = self.instance.table, self.version.table, self.journey.table
        self.tables = (
            f'{instances} INNER JOIN {versions} ON {versions}."id" = {instances}."version_id" '
            f'INNER JOIN {journeys} ON {journeys}."id" = {versions}."journey_id"'
        )
        self.width = len(self.instance) + len(self.version) + len(self.journey)

    def read(self, row: Sequence[Any], start: int = 0) -> ProcessInstance:
        instance: ProcessInstance = self.instance.read(row, start)
        version = self.version.read(row, start + len(self.instance))
        version.journey = self.journey.read(row, start + len(self.instance) + len(self.version))
        instance.version = version
        return instance


@functools.cache
def instance_rows() -> InstanceRows:
    return InstanceRows()


def instance_with_version(
    instance_id: int | QuerySet[Any], *, lock: bool = False
) -> ProcessInstance | None:
    """The instance with its version and journey (see ``InstanceRows``), in one statement; None
    when there is none. ``instance_id`` may be a one-column queryset that finds it; ``lock``
    locks its row (``FOR UPDATE``)."""
    rows = instance_rows()
    if isinstance(instance_id, QuerySet):
        found, params = instance_id.query.sql_with_params()
        target = f"({found})"
    else:
        target, params = "%s", (instance_id,)
    row = statements.fetch_one(
        f"SELECT {rows.columns} FROM {rows.tables} "  # noqa: S608 - names from the models
        f'WHERE {rows.instance.table}."id" = {target}'
        + (statements.for_update(rows.instance) if lock else ""),
        params,
    )
    return None if row is None else rows.read(row)


def waiting_job(*, instance_id: int, activity: int) -> tuple[str, str, dict[str, Any]] | None:
    """(element id, topic, case data) of a service task the instance still waits for."""
    from processes.engine.core import waiting_jobs
    from processes.engine.state import state_from_json
    from processes.runtime import engine_for

    instance = instance_with_version(instance_id)
    if instance is None or instance.status != InstanceStatus.RUNNING:
        return None
    engine = engine_for(instance.version)
    state = state_from_json(instance.marking)
    for job_activity, element_id in waiting_jobs(engine, state):
        if job_activity == activity:
            node = engine.definitions.executable_process(None).nodes.get(element_id)
            topic = node.extensions.get("topic", "") if node is not None else ""
            return element_id, topic, dict(state.data)
    return None


def instances_visible_to(*, user: Any) -> QuerySet[ProcessInstance]:
    """Instances ``user`` started or takes part in, of roles they manage; all for admins."""
    from tasks.selectors import sees_everything

    if user is None or not user.is_authenticated or not user.is_active:
        return ProcessInstance.objects.none()
    instances = ProcessInstance.objects.select_related("version__journey")
    if sees_everything(user) or user.has_perm("processes.view_processinstance"):
        return instances
    return instances.filter(
        Q(started_by=user)
        | Q(tasks__assignee=user)
        | Q(tasks__completed_by=user)
        | Q(tasks__role__manager=user)
        | Q(tasks__assignee__isnull=True, tasks__status="offered", tasks__role__group__user=user)
    ).distinct()


def instance_list(
    *,
    user: Any,
    status: str | None = None,
    journey: str | None = None,
    started_after: Any = None,
    started_before: Any = None,
    variable: tuple[str, Any] | None = None,
) -> QuerySet[ProcessInstance]:
    """Visible instances, newest first, filtered. ``variable`` is (name, value) of the case data;
    a string value also matches the JSON number, boolean or null it spells (``"75000"``)."""
    instances = instances_visible_to(user=user).select_related("started_by")
    if status:
        instances = instances.filter(status=status)
    if journey:
        instances = instances.filter(version__journey__key=journey)
    if started_after is not None:
        instances = instances.filter(started_at__gte=started_after)
    if started_before is not None:
        instances = instances.filter(started_at__lt=started_before)
    if variable is not None:
        name, value = variable
        # A transform, not ``data__<name>``, so that a variable called "in" or "contains" is a key.
        matches = Q(variable_value=value)
        spelled = _json_scalar(value) if isinstance(value, str) else None
        if spelled is not None:
            matches |= Q(variable_value=spelled[0])
        instances = instances.alias(variable_value=KeyTransform(name, "data")).filter(matches)
    return instances.order_by("-started_at", "-id")


def _json_scalar(text: str) -> tuple[Any] | None:
    """(value,) when ``text`` is a JSON number, boolean or null; None otherwise."""
    try:
        value = json.loads(text)
    except ValueError:
        return None
    if isinstance(value, dict | list | str):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return (value,)


def instance_open_tasks(*, instance: ProcessInstance) -> QuerySet[Task]:
    """The instance's work items that are not done yet, in the inbox order."""
    return (
        Task.objects.filter(instance=instance, status__in=LIVE_TASK_STATUSES)
        .select_related("role", "assignee")
        .order_by("-priority", "created_at", "id")
    )


def instance_open_incidents(*, instance: ProcessInstance) -> QuerySet[Incident]:
    return Incident.objects.filter(instance=instance, resolved_at__isnull=True).order_by(
        "created_at", "id"
    )


def instance_history(*, instance: ProcessInstance) -> QuerySet[InstanceEvent]:
    """Every event applied to the instance, oldest first."""
    return (
        InstanceEvent.objects.filter(instance=instance).select_related("actor").order_by("at", "id")
    )


def instance_diagram_states(*, instance: ProcessInstance) -> dict[str, Any]:
    """Element states for drawing the instance on its diagram: active (with token counts),
    completed, incidents, and the path taken so far."""
    from processes.engine.core import snapshot
    from processes.engine.state import state_from_json
    from processes.runtime import engine_for

    engine = engine_for(instance.version)
    state = state_from_json(instance.marking)
    view = snapshot(engine, state)
    active: dict[str, int] = {}
    for scope in state.scopes.values():
        process = engine.compiled(scope.process)
        for flow, count in scope.tokens.items():
            target = process.ids[process.flow_target[flow]]
            active[target] = active.get(target, 0) + count
    for activity in state.activities.values():
        process = engine.compiled(state.scopes[activity.scope].process)
        element = process.ids[activity.node]
        active[element] = active.get(element, 0) + 1
    path = list(
        instance.events.exclude(element_id="")
        .order_by("at", "id")
        .values_list("element_id", flat=True)
    )
    return {
        "status": instance.status,
        "active": active,
        "completed": view["log"],
        "waiting": view["waiting"],
        "incidents": list(
            instance.incidents.filter(resolved_at__isnull=True).values_list("element_id", flat=True)
        ),
        "path": path,
    }


def instance_has_incident(*, instance_id: int, incident_id: int) -> bool:
    from processes.models import Incident

    return Incident.objects.filter(pk=incident_id, instance_id=instance_id).exists()


def may_operate(*, actor: Any, instance: ProcessInstance) -> bool:
    """Whether ``actor`` may suspend, resume, cancel or terminate the instance, or retry its
    incidents: administrators, the journey's designers and operators, and managers of its roles."""
    from tasks.models import Task

    journey = instance.version.journey
    return bool(
        getattr(actor, "is_superuser", False)
        or permissions.can(actor, permissions.DESIGN, journey)
        or permissions.can(actor, "processes.change_processinstance", journey)
        or actor.has_perm("processes.change_processinstance")
        or Task.objects.filter(instance=instance, role__manager=actor).exists()
    )
