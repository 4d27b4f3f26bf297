"""SLAs of tasks and journeys: deadlines in business time, the paused clock, escalation.

A task made from an element with ``itn:sla`` gets its deadline and warning moment computed once,
when its row is inserted (``task_sla_fields``); an instance of a process with ``itn:sla`` likewise
(``instance_sla_fields``). Completing a task costs nothing more: whether the SLA was met is read
from ``completed_at`` and the stored deadline. While the instance waits for the message named in
``itn:slaPauseOn`` the clock stops (``instance_waits_changed``). When a deadline passes, the
sweeper claims the check (``sla_checks_claim_due``) and a Celery job escalates
(``escalation_run``), exactly once: the job works under the instance and task row locks and
refuses a row already escalated.
"""

from __future__ import annotations

import functools
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from monitoring import services as audit
from monitoring.calendars import (
    ROUND_THE_CLOCK,
    CalendarError,
    SlaSpec,
    WorkingCalendar,
    add_business_seconds,
    business_seconds_between,
    calendar_from_dict,
    parse_escalation,
    sla_spec,
)
from monitoring.sla_models import (
    BusinessCalendar,
    EscalationKind,
    JourneyCalendar,
    RoleCalendar,
    SlaEscalation,
)
from workflow_site import effects, telemetry

if TYPE_CHECKING:
    from processes.engine.core import Engine
    from processes.engine.model import Definitions, Finding, Node
    from processes.models import ProcessInstance
    from tasks.models import Role, Task

logger = logging.getLogger(__name__)

ON_TRACK: Final = "on_track"
AT_RISK: Final = "at_risk"
BREACHED: Final = "breached"
MET: Final = "met"
PAUSED: Final = "paused"
#: Every SLA state, as the API and the pages name them.
SLA_STATES: Final = (ON_TRACK, AT_RISK, BREACHED, PAUSED, MET)

#: The channel group of the managers' dashboards.
DASHBOARD_GROUP: Final = "dashboard"
#: A claimed SLA check whose job never ran (a lost message) is claimed again after this long.
CLAIM_TIMEOUT: Final = timedelta(minutes=2)
CHECKS_PER_SWEEP: Final = 200
PRIORITY_STEP: Final = 25


# ---------------------------------------------------------------------------------------------
# Calendars
# ---------------------------------------------------------------------------------------------

_parsed: OrderedDict[tuple[int, str], WorkingCalendar] = OrderedDict()
_parsed_lock = threading.Lock()


def _working_calendar(pk: int, compiled: Any) -> WorkingCalendar:
    """The calendar of a stored ``compiled`` form (a dict, or its JSON text as a raw query
    returns it on SQLite), parsed once per version of it."""
    text = compiled if isinstance(compiled, str) else json.dumps(compiled, sort_keys=True)
    key = (pk, text)
    with _parsed_lock:
        found = _parsed.get(key)
        if found is not None:
            return found
    calendar = calendar_from_dict(json.loads(text))
    with _parsed_lock:
        _parsed[key] = calendar
        while len(_parsed) > 128:
            _parsed.popitem(last=False)
    return calendar


@functools.cache
def _calendar_query() -> str:
    """The role's and the journey's calendar in one round trip (table names from the models)."""
    calendars = BusinessCalendar._meta.db_table
    roles, journeys = RoleCalendar._meta.db_table, JourneyCalendar._meta.db_table
    role_part = f"SELECT c.id, c.compiled, 0 FROM {roles} l"  # noqa: S608 - model table names
    journey_part = f"SELECT c.id, c.compiled, 1 FROM {journeys} l"  # noqa: S608 - likewise
    join = f" JOIN {calendars} c ON c.id = l.calendar_id"
    return (
        f"{role_part}{join} WHERE l.role_id = %s UNION ALL {journey_part}{join} "
        "WHERE l.journey_id = %s"
    )


def calendar_for(
    *, role_id: int | None, journey_id: int | None
) -> tuple[int | None, WorkingCalendar]:
    """(calendar id, calendar) an SLA uses: the role's, else the journey's, else round the
    clock (id None). One query, made only for elements that have an SLA."""
    if role_id is None and journey_id is None:
        return None, ROUND_THE_CLOCK
    with connection.cursor() as cursor:
        cursor.execute(_calendar_query(), [role_id, journey_id])
        rows = sorted(cursor.fetchall(), key=lambda row: row[2])
    for calendar_id, compiled, _ in rows:
        if compiled and compiled not in ("{}", {}):
            return calendar_id, _working_calendar(calendar_id, compiled)
    return None, ROUND_THE_CLOCK


def calendar_by_id(calendar_id: int | None) -> WorkingCalendar:
    if calendar_id is None:
        return ROUND_THE_CLOCK
    compiled = (
        BusinessCalendar.objects.filter(pk=calendar_id).values_list("compiled", flat=True).first()
    )
    return _working_calendar(calendar_id, compiled) if compiled else ROUND_THE_CLOCK


def period_minutes(moment: Any, *, end: bool) -> int:
    """Minutes after midnight of a period's start or end (an end of 00:00 is midnight)."""
    minutes = moment.hour * 60 + moment.minute
    return 24 * 60 if end and minutes == 0 else minutes


def calendar_compile(*, calendar: BusinessCalendar, actor: Any = None) -> WorkingCalendar:
    """Check a calendar with its periods and holidays and store its compiled form; audited.

    Raises ``ApplicationError`` naming the part at fault (``time_zone``, ``periods``,
    ``business_day_hours``). Existing deadlines keep the calendar they were computed on.
    """
    from workflow_site.errors import ApplicationError

    days: list[list[tuple[int, int]]] = [[] for _ in range(7)]
    for period in calendar.periods.all():
        days[period.weekday].append(
            (period_minutes(period.start, end=False), period_minutes(period.end, end=True))
        )
    try:
        working = WorkingCalendar(
            zone=calendar.time_zone,
            periods=tuple(tuple(sorted(day)) for day in days),
            holidays=frozenset(calendar.holidays.values_list("date", flat=True)),
            day_hours=float(Decimal(calendar.business_day_hours)),
        )
    except CalendarError as error:
        field = {"zone": "time_zone", "day_hours": "business_day_hours"}.get(
            error.field, error.field
        )
        raise ApplicationError("invalid_calendar", str(error), field=field) from None
    if not working.working_weekdays:
        raise ApplicationError(
            "invalid_calendar", "A calendar needs at least one working period.", field="periods"
        )
    before = dict(calendar.compiled or {})
    calendar.compiled = working.as_dict()
    calendar.updated_at = timezone.now()
    audit.audit_record(
        type="calendar.saved",
        actor=actor,
        object_type="calendar",
        object_id=calendar.pk,
        before=before,
        after={"name": calendar.name, **calendar.compiled},
    )
    calendar.save(update_fields=["compiled", "updated_at"])
    return working


# ---------------------------------------------------------------------------------------------
# Deadlines, when rows are made
# ---------------------------------------------------------------------------------------------


def _spec(attributes: Mapping[str, str], calendar: WorkingCalendar, where: str) -> SlaSpec | None:
    try:
        return sla_spec(attributes, calendar)
    except CalendarError as error:
        # Publishing refuses such a process (``sla_findings``); a version published before
        # that check simply has no SLA here.
        logger.warning("SLA of %s ignored: %s", where, error)
        return None


def _clock_fields(
    spec: SlaSpec, calendar_id: int | None, calendar: WorkingCalendar, start: datetime
) -> dict[str, Any]:
    state: dict[str, Any] = {
        "warn_seconds": spec.warn_seconds,
        "calendar": calendar_id,
        "escalation": list(spec.escalation),
    }
    if spec.pause_on:
        state["pause_on"] = spec.pause_on
    return {
        "sla_seconds": spec.seconds,
        "sla_deadline": add_business_seconds(calendar, start, spec.seconds),
        "sla_warn_at": add_business_seconds(calendar, start, spec.warn_seconds),
        "sla": state,
    }


def task_sla_fields(
    *, instance: ProcessInstance, node: Node | None, role: Role | None, now: datetime
) -> dict[str, Any]:
    """The SLA columns of a task row about to be inserted ({} when its element has no SLA).

    Costs nothing for elements without ``itn:sla``; otherwise one or two queries for the
    calendar (and one more when the clock may start paused).
    """
    if node is None or not node.extensions.get("sla"):
        return {}
    calendar_id, calendar = calendar_for(
        role_id=role.pk if role is not None else None, journey_id=instance.version.journey_id
    )
    spec = _spec(node.extensions, calendar, f"element {node.id}")
    if spec is None:
        return {}
    fields = _clock_fields(spec, calendar_id, calendar, now)
    if spec.pause_on and instance.waits.filter(key=f"message:{spec.pause_on}").exists():
        _pause(fields, calendar, now)
    return fields


def instance_sla_fields(*, engine: Engine, journey_id: int, now: datetime) -> dict[str, Any]:
    """The journey SLA columns of an instance about to be inserted ({} without ``itn:sla``)."""
    process = engine.definitions.executable_process(None)
    if not process.extensions.get("sla"):
        return {}
    calendar_id, calendar = calendar_for(role_id=None, journey_id=journey_id)
    spec = _spec(process.extensions, calendar, f"process {process.id}")
    return _clock_fields(spec, calendar_id, calendar, now) if spec is not None else {}


def sla_findings(definitions: Definitions) -> list[Finding]:
    """Publishing refuses SLA attributes that cannot be read: as findings on their element."""
    from processes.engine.model import Finding

    findings = []
    for process in definitions.processes.values():
        owners: list[tuple[str, str, Mapping[str, str]]] = [
            (process.id, "process", process.extensions)
        ]
        owners += [(node.id, node.type, node.extensions) for node in process.nodes.values()]
        for element_id, element_type, attributes in owners:
            if not any(name in attributes for name in ("sla", "warnAt", "slaPauseOn")):
                continue
            try:
                if not attributes.get("sla"):
                    raise CalendarError(
                        "itn:warnAt and itn:slaPauseOn need an itn:sla.", field="sla"
                    )
                sla_spec(attributes, ROUND_THE_CLOCK)
            except CalendarError as error:
                findings.append(
                    Finding("error", element_id, "bad-sla", str(error), element_type=element_type)
                )
    return findings


# ---------------------------------------------------------------------------------------------
# The paused clock
# ---------------------------------------------------------------------------------------------


def _pause(fields: dict[str, Any], calendar: WorkingCalendar, now: datetime) -> bool:
    """Stop a running clock (``fields``: the SLA columns by name). A clock already past its
    deadline is not stopped: the SLA is breached whatever happens next."""
    state = dict(fields.get("sla") or {})
    deadline = fields.get("sla_deadline")
    if state.get("paused_at") or deadline is None or deadline <= now:
        return False
    state["paused_at"] = now.isoformat()
    state["remaining"] = business_seconds_between(calendar, now, deadline)
    fields.update(sla=state, sla_deadline=None, sla_warn_at=None, sla_claimed_at=None)
    return True


def _resume(fields: dict[str, Any], calendar: WorkingCalendar, now: datetime) -> bool:
    state = dict(fields.get("sla") or {})
    if not state.get("paused_at") or fields.get("sla_seconds") is None:
        return False
    remaining = float(state.pop("remaining", 0.0))
    paused_at = datetime.fromisoformat(state.pop("paused_at"))
    state["paused_seconds"] = state.get("paused_seconds", 0.0) + (now - paused_at).total_seconds()
    used = float(fields["sla_seconds"]) - remaining
    warn_left = max(0.0, float(state.get("warn_seconds", 0.0)) - used)
    fields.update(
        sla=state,
        sla_deadline=add_business_seconds(calendar, now, remaining),
        sla_warn_at=add_business_seconds(calendar, now, warn_left),
        sla_claimed_at=None,
    )
    return True


_CLOCK_COLUMNS: Final = ("sla", "sla_deadline", "sla_warn_at", "sla_seconds", "sla_claimed_at")


def _switch_clock(row: Any, waiting: bool, now: datetime) -> bool:
    """Pause or resume the clock of a task or instance row (saved by the caller)."""
    fields = {name: getattr(row, name) for name in _CLOCK_COLUMNS}
    calendar = calendar_by_id((fields["sla"] or {}).get("calendar"))
    changed = _pause(fields, calendar, now) if waiting else _resume(fields, calendar, now)
    if changed:
        for name, value in fields.items():
            setattr(row, name, value)
    return changed


def _pause_names(engine: Engine) -> frozenset[str]:
    names = getattr(engine, "_itinera_sla_pause_names", None)
    if names is None:
        process = engine.definitions.executable_process(None)
        found = {process.extensions.get("slaPauseOn", "").strip()}
        for candidate in engine.definitions.processes.values():
            found |= {
                node.extensions.get("slaPauseOn", "").strip() for node in candidate.nodes.values()
            }
        names = frozenset(found - {""})
        engine._itinera_sla_pause_names = names  # type: ignore[attr-defined]
    return names


def instance_waits_changed(
    *, instance: ProcessInstance, engine: Engine, before: Iterable[str], after: Iterable[str]
) -> None:
    """The messages the instance waits for changed: stop or restart the SLA clocks that pause
    on them. Caller holds the instance row lock (and has locked its live task rows)."""
    names = _pause_names(engine)
    if not names:
        return
    waiting_before = {key.split(":", 1)[1] for key in before if key.startswith("message:")}
    waiting_now = {key.split(":", 1)[1] for key in after if key.startswith("message:")}
    changed = (waiting_before ^ waiting_now) & names
    if not changed:
        return
    from tasks.models import OPEN_TASK_STATUSES, Task

    now = timezone.now()
    for name in sorted(changed):
        waiting = name in waiting_now
        journey_clock = (
            instance.sla_seconds is not None and (instance.sla or {}).get("pause_on") == name
        )
        if journey_clock and _switch_clock(instance, waiting, now):
            instance.save(update_fields=list(_CLOCK_COLUMNS))
        tasks = Task.objects.filter(
            instance=instance,
            status__in=(*OPEN_TASK_STATUSES, "waiting"),
            sla_seconds__isnull=False,
            sla__pause_on=name,
        ).order_by("pk")
        for task in tasks:
            if _switch_clock(task, waiting, now):
                task.save(update_fields=list(_CLOCK_COLUMNS))


# ---------------------------------------------------------------------------------------------
# States
# ---------------------------------------------------------------------------------------------


def sla_state(
    *,
    seconds: float | None,
    deadline: datetime | None,
    warn_at: datetime | None,
    done_at: datetime | None,
    now: datetime,
    open: bool = True,
) -> str | None:
    """on_track, at_risk, breached, paused or met; None without an SLA or for withdrawn work."""
    if seconds is None:
        return None
    if done_at is not None:
        return MET if deadline is None or done_at <= deadline else BREACHED
    if not open:
        return None
    if deadline is None:
        return PAUSED
    if now >= deadline:
        return BREACHED
    if warn_at is not None and now >= warn_at:
        return AT_RISK
    return ON_TRACK


def task_sla_state(task: Task, now: datetime | None = None) -> str | None:
    from tasks.models import LIVE_TASK_STATUSES, TaskStatus

    return sla_state(
        seconds=task.sla_seconds,
        deadline=task.sla_deadline,
        warn_at=task.sla_warn_at,
        done_at=task.completed_at if task.status == TaskStatus.COMPLETED else None,
        now=now or timezone.now(),
        open=task.status in LIVE_TASK_STATUSES,
    )


def instance_sla_state(instance: ProcessInstance, now: datetime | None = None) -> str | None:
    from processes.models import InstanceStatus

    ended = instance.status in (InstanceStatus.COMPLETED,)
    return sla_state(
        seconds=instance.sla_seconds,
        deadline=instance.sla_deadline,
        warn_at=instance.sla_warn_at,
        done_at=instance.ended_at if ended else None,
        now=now or timezone.now(),
        open=instance.status in (InstanceStatus.RUNNING, InstanceStatus.SUSPENDED),
    )


# ---------------------------------------------------------------------------------------------
# Live dashboard
# ---------------------------------------------------------------------------------------------

_last_touch = 0.0
#: At most four "something changed" a second per process; the sweeper's tick covers the rest.
TOUCH_INTERVAL: Final = 0.25


def dashboard_touch(outbox: effects.Outbox | None = None) -> None:
    """Tell the open dashboards that figures changed (after commit), at most every 0.25 s."""
    global _last_touch
    moment = time.monotonic()
    if moment - _last_touch < TOUCH_INTERVAL:
        return
    _last_touch = moment
    event = {"kind": "dashboard", "change": "figures"}
    if outbox is not None:
        outbox.broadcast(DASHBOARD_GROUP, event)
    else:
        effects.broadcast_on_commit(DASHBOARD_GROUP, event)


_last_fingerprint: tuple[Any, ...] | None = None


def dashboard_tick(now: datetime) -> int:
    """The sweep that keeps dashboards right: when anything changed since the last tick (a
    claim, a start, an escalation), they are told, whoever made the change."""
    from processes.models import InstanceEvent

    global _last_fingerprint
    from tasks.models import Task

    fingerprint = (
        InstanceEvent.objects.order_by("-pk").values_list("pk", flat=True).first(),
        Task.objects.order_by("-pk").values_list("pk", "lock_version").first(),
        now.replace(second=0, microsecond=0),  # at-risk and breached move with the clock
    )
    if fingerprint == _last_fingerprint:
        return 0
    _last_fingerprint = fingerprint
    effects.broadcast_on_commit(DASHBOARD_GROUP, {"kind": "dashboard", "change": "tick"})
    return 1


# ---------------------------------------------------------------------------------------------
# Escalation
# ---------------------------------------------------------------------------------------------


def sla_checks_claim_due(now: datetime) -> int:
    """The SLA sweep: claim tasks and instances past their deadline and not yet escalated
    (``SKIP LOCKED``), and enqueue one escalation job for each once the claim commits.

    A claim is only a hint that a job is on its way: the job itself decides under the row locks
    whether anything is left to do, so a second sweep, a redelivered job or a claim taken over
    after ``CLAIM_TIMEOUT`` never escalates twice; a sweep that comes late escalates everything
    that fell due meanwhile.
    """
    from monitoring import jobs
    from processes.models import InstanceStatus, ProcessInstance
    from tasks.models import LIVE_TASK_STATUSES, Task

    unclaimed = Q(sla_claimed_at__isnull=True) | Q(sla_claimed_at__lt=now - CLAIM_TIMEOUT)
    claimed: list[tuple[str, int]] = []
    with transaction.atomic():
        tasks = list(
            Task.objects.select_for_update(of=("self",), skip_locked=True)
            .filter(sla_deadline__lte=now, sla_escalated_at__isnull=True)
            .filter(unclaimed, status__in=LIVE_TASK_STATUSES)
            .order_by("sla_deadline", "pk")
            .values_list("pk", flat=True)[:CHECKS_PER_SWEEP]
        )
        if tasks:
            Task.objects.filter(pk__in=tasks).update(sla_claimed_at=now)
        instances = list(
            ProcessInstance.objects.select_for_update(of=("self",), skip_locked=True)
            .filter(sla_deadline__lte=now, sla_escalated_at__isnull=True)
            .filter(unclaimed, status__in=(InstanceStatus.RUNNING, InstanceStatus.SUSPENDED))
            .order_by("sla_deadline", "pk")
            .values_list("pk", flat=True)[:CHECKS_PER_SWEEP]
        )
        if instances:
            ProcessInstance.objects.filter(pk__in=instances).update(sla_claimed_at=now)
        claimed = [(EscalationKind.TASK, pk) for pk in tasks]
        claimed += [(EscalationKind.JOURNEY, pk) for pk in instances]
        for kind, pk in claimed:
            effects.enqueue_on_commit(jobs.sla_escalate, str(kind), pk)
    return len(claimed)


def escalation_run(*, kind: str, object_id: int) -> bool:
    """Carry out the escalation of one SLA whose deadline passed; False when there is nothing
    (left) to do: already escalated, done, withdrawn, paused or moved by a pause.

    Takes the instance row lock, then the task row lock, and writes the escalation record in
    the same transaction as its actions: a job killed before the commit leaves no trace and is
    run again; one killed after it finds the row escalated.
    """
    if kind == EscalationKind.TASK:
        return _escalate_task(object_id)
    if kind == EscalationKind.JOURNEY:
        return _escalate_instance(object_id)
    raise ValueError(f"unknown SLA escalation kind {kind!r}")


def _locked_instance(instance_id: int) -> ProcessInstance | None:
    from processes.models import ProcessInstance

    return (
        ProcessInstance.objects.select_for_update(of=("self",))
        .select_related("version")
        .filter(pk=instance_id)
        .first()
    )


def _escalation_hook(kind: str, object_id: int) -> None:
    """Called inside the escalation's transaction after its writes, before the commit (a seam
    for tests that stop a worker there)."""


@telemetry.traced("sla.escalate")
@transaction.atomic
def _escalate_task(task_id: int) -> bool:
    from tasks.models import LIVE_TASK_STATUSES, Task, TaskStatus

    instance_id = Task.objects.filter(pk=task_id).values_list("instance_id", flat=True).first()
    if instance_id is None:
        return False
    instance = _locked_instance(instance_id)
    task = (
        Task.objects.select_for_update(of=("self",))
        .select_related("role__manager", "assignee")
        .filter(pk=task_id)
        .first()
    )
    if instance is None or task is None:
        return False
    now = timezone.now()
    if (
        task.sla_escalated_at is not None
        or task.status not in LIVE_TASK_STATUSES
        or task.sla_deadline is None
        or task.sla_deadline > now
    ):
        if task.sla_claimed_at is not None and task.sla_escalated_at is None:
            task.sla_claimed_at = None
            task.save(update_fields=["sla_claimed_at"])
        return False
    actions = tuple((task.sla or {}).get("escalation") or ())
    try:
        actions = parse_escalation(" ".join(actions))
    except CalendarError:
        actions = ("notify",)
    manager = task.role.manager if task.role is not None else None
    before = _task_view(task)
    previous = task.assignee
    done: list[str] = []
    skipped: dict[str, str] = {}
    for action in actions:
        if action == "raise-priority":
            task.priority = min(100, task.priority + PRIORITY_STEP)
            done.append(action)
        elif action == "reassign-manager":
            if manager is None:
                skipped[action] = "the role has no manager"
            elif task.status == TaskStatus.STARTED and task.assignee_id != manager.pk:
                skipped[action] = "work on the task has started"
            else:
                task.assignee = manager
                task.claimed_at = now
                if task.status == TaskStatus.OFFERED:
                    task.status = TaskStatus.CLAIMED
                done.append(action)
        elif action == "reassign-role":
            if task.status == TaskStatus.STARTED:
                skipped[action] = "work on the task has started"
            elif task.role_id is None:
                skipped[action] = "the task has no role"
            else:
                task.assignee = None
                task.claimed_at = None
                if task.status == TaskStatus.CLAIMED:
                    task.status = TaskStatus.OFFERED
                done.append(action)
        elif action == "notify":
            done.append(action)
    notified = sorted(
        {user.pk for user in (previous, task.assignee, manager) if user is not None}
        if "notify" in done
        else set()
    )
    task.sla_escalated_at = now
    task.escalated_at = now
    task.sla = {**(task.sla or {}), "escalated": {"actions": done, "skipped": skipped}}
    task.lock_version += 1
    task.save(
        update_fields=[
            "priority",
            "assignee",
            "claimed_at",
            "status",
            "sla_escalated_at",
            "escalated_at",
            "sla",
            "lock_version",
        ]
    )
    SlaEscalation.objects.create(
        kind=EscalationKind.TASK,
        instance=instance,
        task=task,
        element_id=task.element_id,
        deadline=task.sla_deadline,
        escalated_at=now,
        actions=done,
        notified=notified,
        assignee_before=previous,
        assignee_after=task.assignee,
    )
    reason = f"SLA deadline {task.sla_deadline.isoformat()} passed"
    _history(instance, task.element_id, {"task": task.pk, "actions": done, "notified": notified})
    audit.audit_record(
        type="task.escalated",
        object_type="task",
        object_id=task.pk,
        instance_id=instance.pk,
        journey_id=instance.version.journey_id,
        element_id=task.element_id,
        before=before,
        after={**_task_view(task), "sla": BREACHED, "actions": done, "skipped": skipped},
        reason=reason,
    )
    _escalation_hook(EscalationKind.TASK, task.pk)
    event = {
        "kind": "task",
        "change": "escalated",
        "task": task.pk,
        "instance": instance.pk,
        "status": task.status,
        "assignee": task.assignee_id,
        "sla": BREACHED,
    }
    outbox = effects.Outbox()
    for user_id in sorted({*notified, *([task.assignee_id] if task.assignee_id else [])}):
        outbox.broadcast(f"user.{user_id}", event)
    if task.role_id is not None:
        outbox.broadcast(f"role.{task.role_id}", event)
    outbox.broadcast(f"instance.{instance.pk}", {**event, "kind": "instance"})
    outbox.broadcast(DASHBOARD_GROUP, {"kind": "dashboard", "change": "escalated"})
    outbox.send_on_commit()
    telemetry.sla_breached(task=task, level="breach")
    return True


@telemetry.traced("sla.escalate")
@transaction.atomic
def _escalate_instance(instance_id: int) -> bool:
    from processes.models import InstanceStatus
    from tasks.models import OPEN_TASK_STATUSES, Task

    instance = _locked_instance(instance_id)
    now = timezone.now()
    if instance is None:
        return False
    if (
        instance.sla_escalated_at is not None
        or instance.status not in (InstanceStatus.RUNNING, InstanceStatus.SUSPENDED)
        or instance.sla_deadline is None
        or instance.sla_deadline > now
    ):
        if instance.sla_claimed_at is not None and instance.sla_escalated_at is None:
            instance.sla_claimed_at = None
            instance.save(update_fields=["sla_claimed_at"])
        return False
    actions = tuple((instance.sla or {}).get("escalation") or ("notify",))
    tasks = list(
        Task.objects.select_for_update(of=("self",))
        .filter(instance=instance, status__in=OPEN_TASK_STATUSES)
        .select_related("role")
        .order_by("pk")
    )
    done: list[str] = []
    skipped: dict[str, str] = {}
    raised = []
    for action in actions:
        if action == "raise-priority":
            for task in tasks:
                if task.priority < 100:
                    task.priority = min(100, task.priority + PRIORITY_STEP)
                    task.lock_version += 1
                    task.save(update_fields=["priority", "lock_version"])
                    raised.append(task.pk)
            done.append(action)
        elif action == "notify":
            done.append(action)
        else:
            skipped[action] = "a journey SLA escalates by notifying or raising priority"
    notified: list[int] = []
    if "notify" in done:
        people = {instance.started_by_id}
        people |= {task.role.manager_id for task in tasks if task.role is not None}
        people |= {task.assignee_id for task in tasks}
        notified = sorted(person for person in people if person is not None)
    instance.sla_escalated_at = now
    instance.sla = {**(instance.sla or {}), "escalated": {"actions": done, "skipped": skipped}}
    instance.save(update_fields=["sla_escalated_at", "sla"])
    SlaEscalation.objects.create(
        kind=EscalationKind.JOURNEY,
        instance=instance,
        deadline=instance.sla_deadline,
        escalated_at=now,
        actions=done,
        notified=notified,
    )
    _history(instance, "", {"actions": done, "notified": notified, "raised": raised})
    audit.audit_record(
        type="instance.escalated",
        object_type="instance",
        object_id=instance.pk,
        instance_id=instance.pk,
        journey_id=instance.version.journey_id,
        before={"sla": "on time"},
        after={"sla": BREACHED, "actions": done, "raised": raised},
        reason=f"journey SLA deadline {instance.sla_deadline.isoformat()} passed",
    )
    _escalation_hook(EscalationKind.JOURNEY, instance.pk)
    outbox = effects.Outbox()
    event = {"kind": "instance", "change": "escalated", "instance": instance.pk, "sla": BREACHED}
    for user_id in notified:
        outbox.broadcast(f"user.{user_id}", event)
    outbox.broadcast(f"instance.{instance.pk}", event)
    outbox.broadcast(DASHBOARD_GROUP, {"kind": "dashboard", "change": "escalated"})
    outbox.send_on_commit()
    telemetry.sla_breached(instance=instance, level="breach")
    return True


def _task_view(task: Task) -> dict[str, Any]:
    assignee = task.assignee.get_username() if task.assignee is not None else None
    return {"status": task.status, "assignee": assignee, "priority": task.priority}


def _history(instance: ProcessInstance, element_id: str, detail: dict[str, Any]) -> None:
    from processes.models import InstanceEvent

    InstanceEvent.objects.create(
        instance=instance, kind="sla_escalated", element_id=element_id, detail=detail
    )
