"""The managers' figures: SLA states and compliance, throughput, cycle times, workload, the
slowest steps and the active instances, each over the tasks and instances a manager oversees.

A manager is staff (sees everything) or the manager of a role (sees the tasks of the roles they
manage and the instances those tasks belong to). Every figure takes one ``Scope``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

import numpy as np
from django.conf import settings
from django.db.models import Count, F, Max, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from monitoring.sla import AT_RISK, BREACHED, ON_TRACK, PAUSED
from processes.models import InstanceStatus, Journey, ProcessInstance, VersionStatus
from tasks.models import LIVE_TASK_STATUSES, OPEN_TASK_STATUSES, Role, Task, TaskStatus

#: The longest period one request may ask about.
MAX_PERIOD_DAYS: Final = 366
DEFAULT_PERIOD_DAYS: Final = 30
PERCENTILES: Final = (50, 95, 99)
ACTIVE_STATUSES: Final = (InstanceStatus.RUNNING, InstanceStatus.SUSPENDED)
#: The states an open task's SLA can be in (drill-down lists).
OPEN_SLA_STATES: Final = (ON_TRACK, AT_RISK, BREACHED, PAUSED)


def is_manager(user: Any) -> bool:
    """Whether ``user`` may open the dashboard: staff, or the manager of a role."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return bool(user.is_staff or user.is_superuser or Role.objects.filter(manager=user).exists())


@dataclass(frozen=True)
class Scope:
    """What one manager oversees, narrowed to a journey and a role, over a period [since, until)."""

    everything: bool
    role_ids: tuple[int, ...]
    since: datetime
    until: datetime
    journey: Journey | None = None
    role: Role | None = None
    now: datetime = field(default_factory=timezone.now)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(settings.TIME_ZONE)

    def tasks(self) -> QuerySet[Task]:
        tasks = Task.objects.all()
        if not self.everything:
            tasks = tasks.filter(role_id__in=self.role_ids)
        if self.journey is not None:
            tasks = tasks.filter(instance__version__journey=self.journey)
        if self.role is not None:
            tasks = tasks.filter(role=self.role)
        return tasks

    def instances(self) -> QuerySet[ProcessInstance]:
        instances = ProcessInstance.objects.all()
        if self.journey is not None:
            instances = instances.filter(version__journey=self.journey)
        if not self.everything or self.role is not None:
            roles = [self.role.pk] if self.role is not None else list(self.role_ids)
            instances = instances.filter(
                pk__in=Task.objects.filter(role_id__in=roles).values("instance_id")
            )
        return instances

    def journeys(self) -> QuerySet[Journey]:
        if self.everything:
            return Journey.objects.order_by("name")
        return (
            Journey.objects.filter(versions__instances__tasks__role_id__in=self.role_ids)
            .distinct()
            .order_by("name")
        )

    def roles(self) -> QuerySet[Role]:
        roles = Role.objects.order_by("name")
        return roles if self.everything else roles.filter(pk__in=self.role_ids)


def scope_for(
    *,
    user: Any,
    since: datetime | None = None,
    until: datetime | None = None,
    journey: Journey | None = None,
    role: Role | None = None,
) -> Scope:
    now = timezone.now()
    until = until or now
    return Scope(
        everything=bool(user.is_staff or user.is_superuser),
        role_ids=tuple(Role.objects.filter(manager=user).values_list("pk", flat=True)),
        since=since or until - timedelta(days=DEFAULT_PERIOD_DAYS),
        until=until,
        journey=journey,
        role=role,
        now=now,
    )


# ---------------------------------------------------------------------------------------------
# SLA states and compliance
# ---------------------------------------------------------------------------------------------


def _state_filters(now: datetime) -> dict[str, Q]:
    """Open rows with an SLA by state (for tasks and instances alike)."""
    return {
        ON_TRACK: Q(sla_deadline__gt=now) & (Q(sla_warn_at__isnull=True) | Q(sla_warn_at__gt=now)),
        AT_RISK: Q(sla_deadline__gt=now, sla_warn_at__lte=now),
        BREACHED: Q(sla_deadline__lte=now),
        PAUSED: Q(sla_deadline__isnull=True),
    }


def sla_counts(scope: Scope) -> dict[str, Any]:
    """Open tasks (all, and those with an SLA by state) and active instances with a journey
    SLA by state, now."""
    states = _state_filters(scope.now)
    open_tasks = scope.tasks().filter(status__in=LIVE_TASK_STATUSES)
    task_counts = open_tasks.aggregate(
        open=Count("pk"),
        with_sla=Count("pk", filter=Q(sla_seconds__isnull=False)),
        **{
            name: Count("pk", filter=Q(sla_seconds__isnull=False) & condition)
            for name, condition in states.items()
        },
    )
    journeys = (
        scope.instances()
        .filter(status__in=ACTIVE_STATUSES, sla_seconds__isnull=False)
        .aggregate(
            **{name: Count("pk", filter=condition) for name, condition in states.items()},
            with_sla=Count("pk"),
        )
    )
    return {"tasks": task_counts, "journeys": journeys}


def sla_tasks(scope: Scope, state: str) -> QuerySet[Task]:
    """The open tasks with an SLA in ``state``, the most urgent first (a drill-down list)."""
    condition = _state_filters(scope.now)[state]
    return (
        scope.tasks()
        .filter(condition, status__in=LIVE_TASK_STATUSES, sla_seconds__isnull=False)
        .select_related("instance__version__journey", "role", "assignee")
        .order_by(F("sla_deadline").asc(nulls_last=True), "-priority", "pk")
    )


def _outcomes(scope: Scope, done_status: str, done_at: str, live: tuple[str, ...]) -> dict[str, Q]:
    """Rows whose SLA outcome fell in the period: done in it (met, or late), or still open
    with a deadline that passed in it (breached)."""
    in_period = Q(**{f"{done_at}__gte": scope.since, f"{done_at}__lt": scope.until})
    done = Q(status=done_status) & in_period
    on_time = Q(sla_deadline__isnull=True) | Q(**{f"{done_at}__lte": F("sla_deadline")})
    late = Q(**{f"{done_at}__gt": F("sla_deadline")})
    overdue = Q(status__in=live, sla_deadline__gte=scope.since)
    overdue &= Q(sla_deadline__lt=min(scope.until, scope.now))
    return {"met": done & on_time, "breached": (done & late) | overdue}


def _rate(met: int, breached: int) -> float | None:
    return round(100 * met / (met + breached), 2) if met + breached else None


def _rows(rows: Any, columns: dict[str, str]) -> list[dict[str, Any]]:
    """Grouped counts as API rows: the group's columns renamed, with met, breached, compliance."""
    return [
        {
            **{name: row[column] for name, column in columns.items()},
            "met": row["met"],
            "breached": row["breached"],
            "compliance": _rate(row["met"], row["breached"]),
        }
        for row in rows
    ]


def sla_compliance(scope: Scope) -> dict[str, Any]:
    """SLA compliance (% met of met + breached) over the period: of task SLAs per journey, per
    step and per role, and of journey SLAs per journey."""
    outcome = _outcomes(scope, TaskStatus.COMPLETED, "completed_at", LIVE_TASK_STATUSES)
    counts = {
        "met": Count("pk", filter=outcome["met"]),
        "breached": Count("pk", filter=outcome["breached"]),
    }
    tasks = scope.tasks().filter(outcome["met"] | outcome["breached"], sla_seconds__isnull=False)
    journey = {
        "journey": "instance__version__journey__key",
        "name": "instance__version__journey__name",
    }
    by_journey = tasks.values(*journey.values()).annotate(**counts).order_by(journey["name"])
    by_step = (
        tasks.values(*journey.values(), "element_id")
        .annotate(step_name=Max("name"), **counts)
        .order_by(journey["name"], "element_id")
    )
    by_role = tasks.values("role__key", "role__name").annotate(**counts).order_by("role__name")

    journey_outcome = _outcomes(scope, InstanceStatus.COMPLETED, "ended_at", ACTIVE_STATUSES)
    instances = scope.instances().filter(
        journey_outcome["met"] | journey_outcome["breached"], sla_seconds__isnull=False
    )
    by_instance = (
        instances.values("version__journey__key", "version__journey__name")
        .annotate(
            met=Count("pk", filter=journey_outcome["met"]),
            breached=Count("pk", filter=journey_outcome["breached"]),
        )
        .order_by("version__journey__name")
    )
    total = tasks.aggregate(**counts)
    return {
        "since": scope.since,
        "until": scope.until,
        "tasks": {**total, "compliance": _rate(total["met"], total["breached"])},
        "by_journey": _rows(by_journey, journey),
        "by_step": _rows(by_step, {**journey, "element_id": "element_id", "step": "step_name"}),
        "by_role": _rows(by_role, {"role": "role__key", "name": "role__name"}),
        "journeys": _rows(
            by_instance, {"journey": "version__journey__key", "name": "version__journey__name"}
        ),
    }


# ---------------------------------------------------------------------------------------------
# Throughput, cycle time, workload
# ---------------------------------------------------------------------------------------------


def _days(scope: Scope) -> list[date]:
    first = scope.since.astimezone(scope.zone).date()
    last = (scope.until - timedelta(microseconds=1)).astimezone(scope.zone).date()
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


def throughput(scope: Scope) -> list[dict[str, Any]]:
    """Instances started and completed per day (in ``settings.TIME_ZONE``) over the period."""
    instances = scope.instances()
    started = dict(
        instances.filter(started_at__gte=scope.since, started_at__lt=scope.until)
        .annotate(day=TruncDate("started_at", tzinfo=scope.zone))
        .values("day")
        .annotate(count=Count("pk"))
        .values_list("day", "count")
        .order_by()
    )
    completed = dict(
        instances.filter(
            status=InstanceStatus.COMPLETED, ended_at__gte=scope.since, ended_at__lt=scope.until
        )
        .annotate(day=TruncDate("ended_at", tzinfo=scope.zone))
        .values("day")
        .annotate(count=Count("pk"))
        .values_list("day", "count")
        .order_by()
    )
    return [
        {"date": day, "started": started.get(day, 0), "completed": completed.get(day, 0)}
        for day in _days(scope)
    ]


def _percentiles(durations: np.ndarray) -> dict[str, Any]:
    if durations.size == 0:
        return {"count": 0, "mean": None, **{f"p{p}": None for p in PERCENTILES}}
    values = np.percentile(durations, PERCENTILES)
    return {
        "count": int(durations.size),
        "mean": round(float(durations.mean()), 3),
        **{f"p{p}": round(float(value), 3) for p, value in zip(PERCENTILES, values, strict=True)},
    }


def cycle_times(scope: Scope) -> dict[str, Any]:
    """Seconds from start to completion of the instances completed in the period: count, mean,
    p50, p95, p99 (linear interpolation), overall and per journey."""
    rows = list(
        scope.instances()
        .filter(
            status=InstanceStatus.COMPLETED, ended_at__gte=scope.since, ended_at__lt=scope.until
        )
        .values_list("version__journey__key", "started_at", "ended_at")
    )
    per_journey: dict[str, list[float]] = {}
    for key, start, end in rows:
        if end is not None:
            per_journey.setdefault(key, []).append((end - start).total_seconds())
    overall = np.array([value for values in per_journey.values() for value in values], dtype=float)
    return {
        **_percentiles(overall),
        "by_journey": [
            {"journey": key, **_percentiles(np.array(values, dtype=float))}
            for key, values in sorted(per_journey.items())
        ],
    }


def workload(scope: Scope) -> dict[str, list[dict[str, Any]]]:
    """Open work now, per role and per person: open, started, at risk and breached tasks.

    One pass over the open tasks, grouped by role and assignee ids (a few hundred groups); the
    two lists are sums of it, named from the roles and users it found. Roles are listed by name
    and people by open tasks (most first), then user name; tasks without a role or an assignee
    come last among equals.
    """
    from django.contrib.auth import get_user_model

    states = _state_filters(scope.now)
    open_tasks = scope.tasks().filter(status__in=OPEN_TASK_STATUSES)
    counts = {
        "open": Count("pk"),
        "started": Count("pk", filter=Q(status=TaskStatus.STARTED)),
        "at_risk": Count("pk", filter=Q(sla_seconds__isnull=False) & states[AT_RISK]),
        "breached": Count("pk", filter=Q(sla_seconds__isnull=False) & states[BREACHED]),
    }
    by_role: dict[int | None, dict[str, int]] = {}
    by_user: dict[int | None, dict[str, int]] = {}
    groups: Any = open_tasks.values("role_id", "assignee_id").annotate(**counts).order_by()
    for row in groups:
        for key, totals in ((row["role_id"], by_role), (row["assignee_id"], by_user)):
            sums = totals.setdefault(key, dict.fromkeys(counts, 0))
            for name in counts:
                sums[name] += row[name]
    roles = Role.objects.in_bulk([key for key in by_role if key is not None])
    users = get_user_model().objects.in_bulk([key for key in by_user if key is not None])

    def role_order(key: int | None) -> tuple[Any, ...]:
        return (key is None, roles[key].name if key is not None else "", key or 0)

    def user_order(key: int | None) -> tuple[Any, ...]:
        name = users[key].get_username() if key is not None else ""
        return (-by_user[key]["open"], key is None, name)

    def person(key: int | None) -> str:
        if key is None:
            return "(offered, not claimed)"
        user = users[key]
        return " ".join(part for part in (user.first_name, user.last_name) if part) or str(
            user.get_username()
        )

    return {
        "roles": [
            {
                "role": roles[key].key if key is not None else None,
                "name": roles[key].name if key is not None else "(no role)",
                **by_role[key],
            }
            for key in sorted(by_role, key=role_order)
        ],
        "users": [
            {
                "user": users[key].get_username() if key is not None else None,
                "name": person(key),
                **by_user[key],
            }
            for key in sorted(by_user, key=user_order)
        ],
    }


def metrics(scope: Scope) -> dict[str, Any]:
    """Everything the dashboard's tiles and charts show, in one answer."""
    return {
        "now": scope.now,
        "since": scope.since,
        "until": scope.until,
        "sla": sla_counts(scope),
        "throughput": throughput(scope),
        "cycle_time": cycle_times(scope),
        "workload": workload(scope),
    }


# ---------------------------------------------------------------------------------------------
# Bottlenecks and the live list
# ---------------------------------------------------------------------------------------------


def bottlenecks(scope: Scope, journey: Journey) -> dict[str, Any]:
    """Per element of the journey: how long its tasks completed in the period took (seconds:
    count, mean, p50, p95, max) and how many are open now, slowest (by p50) first; with the
    BPMN of its latest published version to draw them on."""
    tasks = scope.tasks().filter(instance__version__journey=journey)
    done = tasks.filter(
        status=TaskStatus.COMPLETED, completed_at__gte=scope.since, completed_at__lt=scope.until
    ).values_list("element_id", "name", "created_at", "completed_at")
    durations: dict[str, list[float]] = {}
    names: dict[str, str] = {}
    for element_id, name, created, completed in done:
        if completed is None:
            continue
        durations.setdefault(element_id, []).append((completed - created).total_seconds())
        names.setdefault(element_id, name)
    open_counts = dict(
        tasks.filter(status__in=OPEN_TASK_STATUSES)
        .values("element_id")
        .annotate(count=Count("pk"))
        .values_list("element_id", "count")
        .order_by()
    )
    for element_id, name in (
        tasks.filter(element_id__in=open_counts).values_list("element_id", "name").distinct()
    ):
        names.setdefault(element_id, name)
    elements = []
    for element_id in sorted(set(durations) | set(open_counts)):
        values = np.array(durations.get(element_id, []), dtype=float)
        stats = _percentiles(values)
        elements.append(
            {
                "element_id": element_id,
                "name": names.get(element_id, element_id),
                "count": stats["count"],
                "mean": stats["mean"],
                "p50": stats["p50"],
                "p95": stats["p95"],
                "max": round(float(values.max()), 3) if values.size else None,
                "open": open_counts.get(element_id, 0),
            }
        )
    elements.sort(key=lambda row: (row["p50"] is None, -(row["p50"] or 0), row["element_id"]))
    version = (
        journey.versions.filter(status=VersionStatus.PUBLISHED).order_by("-number").first()
        or journey.versions.order_by("-number").first()
    )
    return {
        "journey": journey.key,
        "name": journey.name,
        "version": version.number if version is not None else None,
        "bpmn_xml": version.bpmn_xml if version is not None else "",
        "since": scope.since,
        "until": scope.until,
        "elements": elements,
    }


def active_instances(scope: Scope) -> QuerySet[ProcessInstance]:
    """Running and suspended instances, newest first, with their open and breached task
    counts (``open_tasks``, ``breached_tasks``).

    The counts are subqueries per instance, not a join grouped by instance: the database counts
    the tasks of the page's instances only (after the sort and the limit), not of every active
    instance, and the paginator's count needs no tasks at all.
    """

    def open_tasks(**conditions: Any) -> Coalesce:
        counted = (
            Task.objects.filter(
                instance=OuterRef("pk"), status__in=OPEN_TASK_STATUSES, **conditions
            )
            .order_by()
            .values("instance")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return Coalesce(Subquery(counted), 0)

    return (
        scope.instances()
        .filter(status__in=ACTIVE_STATUSES)
        .select_related("version__journey", "started_by")
        .annotate(
            open_tasks=open_tasks(),
            breached_tasks=open_tasks(sla_deadline__lte=scope.now),
        )
        .order_by("-started_at", "-pk")
    )


# ---------------------------------------------------------------------------------------------
# Reading a dashboard query
# ---------------------------------------------------------------------------------------------


def _moment(text: str, field_name: str, zone: ZoneInfo, *, end_of_day: bool) -> datetime:
    """A date (its midnight in ``zone``; the next midnight for the end of a period) or an ISO
    date and time (UTC when it has no offset)."""
    from workflow_site.errors import ApplicationError

    text = text.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            if end_of_day:
                day += timedelta(days=1)
            return datetime.combine(day, datetime.min.time(), tzinfo=zone)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ApplicationError(
            "invalid",
            f"{text[:40]!r} is not a date (2024-10-31) or a date and time.",
            field=field_name,
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=ZoneInfo("UTC"))


def scope_from_query(*, user: Any, query: Any) -> Scope:
    """The scope a dashboard request asks for: ``since``/``until`` (dates or ISO date-times;
    ``until`` is exclusive, a date counting whole), ``journey`` and ``role`` keys. Bad input
    is a 400 naming the parameter; someone who is not a manager is refused (403)."""
    from django.core.exceptions import PermissionDenied

    from workflow_site.errors import ApplicationError

    if not is_manager(user):
        raise PermissionDenied("Only managers see the dashboard.")
    zone = ZoneInfo(settings.TIME_ZONE)
    since_text, until_text = query.get("since") or "", query.get("until") or ""
    until = _moment(until_text, "until", zone, end_of_day=True) if until_text else None
    since = _moment(since_text, "since", zone, end_of_day=False) if since_text else None
    scope = scope_for(user=user, since=since, until=until)
    if scope.since >= scope.until:
        raise ApplicationError(
            "invalid_period", "The period must start before it ends.", field="since"
        )
    if scope.until - scope.since > timedelta(days=MAX_PERIOD_DAYS):
        raise ApplicationError(
            "period_too_long", f"Ask for at most {MAX_PERIOD_DAYS} days at once.", field="since"
        )
    journey = role = None
    if query.get("journey"):
        journey = Journey.objects.filter(key=str(query["journey"])[:100]).first()
        if journey is None:
            raise ApplicationError("unknown_journey", "There is no such journey.", field="journey")
    if query.get("role"):
        role = scope.roles().filter(key=str(query["role"])[:100]).first()
        if role is None:
            raise ApplicationError(
                "unknown_role", "There is no such role among yours.", field="role"
            )
    return Scope(
        everything=scope.everything,
        role_ids=scope.role_ids,
        since=scope.since,
        until=scope.until,
        journey=journey,
        role=role,
        now=scope.now,
    )
