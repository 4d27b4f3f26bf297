"""Reading cases for the analytics: the instances of one journey a manager oversees, started in
the period, with their work items and history, in a fixed number of queries."""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Final

from monitoring.analytics import mining
from monitoring.metrics import Scope
from monitoring.simulation import graph as sg
from monitoring.simulation.inputs import simulation_graph
from monitoring.simulation.scenario import ScenarioError
from processes.models import InstanceEvent, Journey, JourneyVersion
from tasks.models import Task

#: The most recent instances read at once.
MAX_CASES: Final = 5_000


def journey_cases(scope: Scope, journey: Journey, *, limit: int = MAX_CASES) -> list[mining.Case]:
    """The journey's instances started in the scope's period (the most recent ``limit``),
    oldest first."""
    rows = list(
        scope.instances()
        .filter(version__journey=journey, started_at__gte=scope.since, started_at__lt=scope.until)
        .order_by("-started_at", "-pk")
        .values_list("pk", "version__number", "status", "started_at", "ended_at", "business_key")[
            :limit
        ]
    )
    rows.reverse()
    ids = [row[0] for row in rows]
    items: dict[int, list[mining.WorkItem]] = defaultdict(list)
    for task in (
        Task.objects.filter(instance_id__in=ids)
        .order_by("instance_id", "created_at", "pk")
        .values_list(
            "instance_id",
            "element_id",
            "name",
            "role__key",
            "assignee__username",
            "completed_by__username",
            "created_at",
            "started_at",
            "claimed_at",
            "completed_at",
        )
        .iterator(chunk_size=2000)
    ):
        instance_id, element, name, role, assignee, completer, *moments = task
        created, started, claimed, completed = moments
        if created is None:
            continue
        items[instance_id].append(
            mining.WorkItem(
                element=element,
                name=name,
                role=role,
                user=completer or assignee,
                created=created,
                started=started,
                claimed=claimed,
                completed=completed,
            )
        )
    events: dict[int, list[tuple[str, str, Any]]] = defaultdict(list)
    started_version: dict[int, int] = {}
    for instance_id, kind, element, at, detail in (
        InstanceEvent.objects.filter(instance_id__in=ids)
        .order_by("instance_id", "at", "pk")
        .values_list("instance_id", "kind", "element_id", "at", "detail")
        .iterator(chunk_size=2000)
    ):
        events[instance_id].append((kind, element, at))
        if kind == "started" and isinstance(detail, dict):
            number = detail.get("version")
            if isinstance(number, int):
                started_version[instance_id] = number
    return [
        mining.Case(
            id=pk,
            version=number,
            status=status,
            started=started,
            ended=ended,
            business_key=key,
            items=items.get(pk, []),
            events=events.get(pk, []),
            started_version=started_version.get(pk),
        )
        for pk, number, status, started, ended, key in rows
    ]


def version_graphs(journey: Journey, numbers: set[int]) -> dict[int, sg.SimGraph]:
    """The simulation graphs of the journey's versions with these numbers (those that compile)."""
    graphs: dict[int, sg.SimGraph] = {}
    for version in JourneyVersion.objects.filter(journey=journey, number__in=numbers):
        try:
            graphs[version.number] = simulation_graph(version)[1]
        except ScenarioError:
            continue
    return graphs


def diagram_version(journey: Journey, number: int | None = None) -> JourneyVersion | None:
    """The version to draw overlays on: the one named, else the latest published, else the
    latest."""
    from processes.models import VersionStatus

    versions = journey.versions.all()
    if number is not None:
        return versions.filter(number=number).first()
    return (
        versions.filter(status=VersionStatus.PUBLISHED).order_by("-number").first()
        or versions.order_by("-number").first()
    )
