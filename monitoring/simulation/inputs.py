"""What the database says about a journey version, for its simulation: the version's graph, how
long its steps took, which branches its instances took, who works in each role and when, how
often it starts, and its SLAs."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from django.db.models import Count, Q

from monitoring.calendars import CalendarError, business_seconds, business_seconds_between
from monitoring.simulation import graph as sg
from monitoring.simulation.branches import history_branch_counts, rule_branch_counts
from monitoring.simulation.scenario import Facts, Scenario, ScenarioError
from monitoring.simulation.worktime import WEEK, WeekCalendar, week_calendar
from processes.bpmn.importer import import_definitions
from processes.engine.compiled import CompiledProcess, CompileError, compile_process
from processes.engine.timers import TimerError, parse_duration
from processes.models import InstanceStatus, JourneyVersion, ProcessInstance, VersionStatus
from tasks.models import Role, Task, TaskStatus

#: Completed tasks read per element (the most recent).
HISTORY_PER_ELEMENT: Final = 500
#: Instances whose paths and data are read for branch weights.
TRACE_INSTANCES: Final = 2_000
RULE_SAMPLES: Final = 500
#: The period whose starts give the default arrival rate.
RATE_WEEKS: Final = 4
#: A task claimed at most this close to its completion was completed straight from the queue:
#: its working time is counted from its creation.
CLAIM_AT_COMPLETION: Final = timedelta(seconds=1)


def compiled_version(version: JourneyVersion) -> CompiledProcess:
    """The engine's compiled form of a version (a draft with the rules' latest versions)."""
    from rules.runtime import LatestRules, rules_for_version

    rules = rules_for_version(version) if version.status != VersionStatus.DRAFT else LatestRules()
    try:
        definitions = import_definitions(version.bpmn_xml)
        return compile_process(definitions, definitions.executable_process(), rules)
    except (CompileError, KeyError, ValueError) as error:
        raise ScenarioError(
            "invalid_version", f"This version cannot be simulated: {error}", "version"
        ) from None


def simulation_graph(version: JourneyVersion) -> tuple[CompiledProcess, sg.SimGraph]:
    process = compiled_version(version)
    try:
        return process, sg.build_graph(process)
    except ValueError as error:
        raise ScenarioError("invalid_version", str(error), "version") from None


def _calendar(role_id: int | None, journey_id: int) -> Any:
    from monitoring.sla import calendar_for

    return calendar_for(role_id=role_id, journey_id=journey_id)[1]


def _week(calendar: Any) -> WeekCalendar | None:
    try:
        return week_calendar(calendar)
    except ValueError:
        return None


def _working_seconds(calendar: Any, begin: datetime, end: datetime) -> float:
    if calendar.round_the_clock:
        return max((end - begin).total_seconds(), 0.0)
    try:
        return max(business_seconds_between(calendar, begin, end), 0.0)
    except CalendarError:
        return max((end - begin).total_seconds(), 0.0)


def _durations(
    version: JourneyVersion, graph: sg.SimGraph, calendars: dict[str, Any]
) -> dict[str, list[float]]:
    """Working seconds of each work item's recent completed tasks (of any version of the
    journey): from its start, else its claim, else its creation, to its completion."""
    elements = [graph.element_ids[n] for n in range(graph.node_count) if graph.code[n] == sg.TASK]
    history: dict[str, list[float]] = defaultdict(list)
    for element in elements:
        rows = (
            Task.objects.filter(
                instance__version__journey_id=version.journey_id,
                element_id=element,
                status=TaskStatus.COMPLETED,
                completed_at__isnull=False,
            )
            .order_by("-completed_at", "-pk")
            .values_list("created_at", "claimed_at", "started_at", "completed_at")[
                :HISTORY_PER_ELEMENT
            ]
        )
        role = graph.role[graph.index(element)]
        calendar = calendars.get(role)
        for created, claimed, started, completed in rows:
            if completed is None:
                continue
            begin = started or (
                claimed if claimed and completed - claimed > CLAIM_AT_COMPLETION else created
            )
            seconds = (
                _working_seconds(calendar, begin, completed)
                if calendar is not None
                else max((completed - begin).total_seconds(), 0.0)
            )
            history[element].append(seconds)
    return dict(history)


def traces(*, journey_id: int, limit: int = TRACE_INSTANCES) -> list[tuple[int, list[str], bool]]:
    """The most recent instances of a journey: (id, work items completed in order, completed)."""
    instances = list(
        ProcessInstance.objects.filter(version__journey_id=journey_id)
        .order_by("-started_at", "-pk")
        .values_list("pk", "status")[:limit]
    )
    done = {pk: status == InstanceStatus.COMPLETED for pk, status in instances}
    paths: dict[int, list[str]] = defaultdict(list)
    rows = (
        Task.objects.filter(instance_id__in=list(done), status=TaskStatus.COMPLETED)
        .order_by("instance_id", "completed_at", "pk")
        .values_list("instance_id", "element_id")
    )
    for instance_id, element in rows:
        paths[instance_id].append(element)
    return [(pk, paths.get(pk, []), done[pk]) for pk, _ in instances]


def _monday(moment: datetime) -> datetime:
    day = moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday())


def replay_starts(*, journey_id: int, weeks: int, now: datetime) -> tuple[float, ...]:
    """Starts of the last ``weeks`` weeks, in seconds after the Monday (UTC) of the first."""
    since = now - timedelta(weeks=weeks)
    origin = _monday(since)
    starts = ProcessInstance.objects.filter(
        version__journey_id=journey_id, started_at__gte=since, started_at__lt=now
    ).values_list("started_at", flat=True)
    return tuple(sorted((start - origin).total_seconds() for start in starts))


def _sla_seconds(text: str | None, calendar: Any, where: str) -> float | None:
    if not text:
        return None
    try:
        seconds = business_seconds(calendar, parse_duration(text.strip()))
    except (TimerError, CalendarError) as error:
        raise ScenarioError("invalid", f"The SLA {text!r} cannot be used: {error}", where) from None
    if seconds <= 0:
        raise ScenarioError("invalid", "An SLA is longer than zero.", where)
    return seconds


def gather_facts(
    *,
    version: JourneyVersion,
    graph: sg.SimGraph,
    process: CompiledProcess,
    scenario: Scenario,
    now: datetime,
) -> Facts:
    journey_id = version.journey_id
    roles = {role.key: role for role in Role.objects.filter(key__in=graph.roles())}
    people = dict(
        Role.objects.filter(key__in=list(roles))
        .annotate(people=Count("group__user", filter=Q(group__user__is_active=True), distinct=True))
        .values_list("key", "people")
    )
    calendars = {key: _calendar(role.pk, journey_id) for key, role in roles.items()}
    journey_calendar = _calendar(None, journey_id)
    recent = traces(journey_id=journey_id)
    samples = list(
        ProcessInstance.objects.filter(version__journey_id=journey_id)
        .order_by("-started_at", "-pk")
        .values_list("data", flat=True)[:RULE_SAMPLES]
    )
    rate_starts = ProcessInstance.objects.filter(
        version__journey_id=journey_id, started_at__gte=now - timedelta(weeks=RATE_WEEKS)
    ).count()
    replay = {}
    if scenario.arrival_kind == "replay":
        replay[scenario.replay_weeks] = replay_starts(
            journey_id=journey_id, weeks=scenario.replay_weeks, now=now
        )
    task_sla: dict[str, float] = {}
    for node in graph.activities():
        text = graph.sla_text[node]
        if text and graph.code[node] == sg.TASK:
            calendar = calendars.get(graph.role[node], journey_calendar)
            seconds = _sla_seconds(text, calendar, "version")
            if seconds is not None:
                task_sla[graph.element_ids[node]] = seconds
    return Facts(
        history=_durations(version, graph, calendars),
        history_branches=history_branch_counts(
            graph, ((path, completed) for _, path, completed in recent)
        ),
        rule_branches=rule_branch_counts(
            process, graph, (data for data in samples if isinstance(data, dict))
        ),
        people={key: int(count) for key, count in people.items()},
        calendars={key: _week(calendar) for key, calendar in calendars.items()},
        replay=replay,
        starts_per_hour=rate_starts / (RATE_WEEKS * WEEK / 3600) if rate_starts else None,
        sla_seconds=_sla_seconds(scenario.sla or graph.process_sla_text, journey_calendar, "sla"),
        sla_calendar=_week(journey_calendar),
        task_sla_seconds=task_sla,
    )
