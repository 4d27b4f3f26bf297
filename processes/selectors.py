"""Reads of journeys and versions that are more than a plain get."""

from __future__ import annotations

from typing import Any

from django.db.models import IntegerField, OuterRef, QuerySet, Subquery

from processes import permissions
from processes.models import (
    InstanceStatus,
    Journey,
    JourneyVersion,
    ProcessInstance,
    VersionStatus,
)


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


def waiting_job(*, instance_id: int, activity: int) -> tuple[str, str, dict[str, Any]] | None:
    """(element id, topic, case data) of a service task the instance still waits for."""
    from processes.engine.core import waiting_jobs
    from processes.engine.state import state_from_json
    from processes.runtime import engine_for

    instance = (
        ProcessInstance.objects.select_related("version")
        .filter(pk=instance_id, status=InstanceStatus.RUNNING)
        .first()
    )
    if instance is None:
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
    from django.db.models import Q

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
    instances = instances_visible_to(user=user)
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
        instances = instances.filter(**{f"data__{name}": value})
    return instances.order_by("-started_at", "-id")


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
