"""Every change to journeys and their versions: each service checks first, then writes."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Max, Q, QuerySet
from django.utils import timezone
from django.utils.text import slugify
from guardian.shortcuts import assign_perm, get_perms, remove_perm

from monitoring import services as audit
from monitoring import sla
from processes import permissions, selectors
from processes.bpmn.importer import import_definitions
from processes.bpmn.xml import BpmnSyntaxError, ProcessSummary, parse_definitions, process_summaries
from processes.engine.core import (
    Effect,
    Engine,
    Rejected,
    armed_timers,
    snapshot,
    work_items,
)
from processes.engine.model import Node
from processes.engine.state import CaseState, state_from_json, state_to_json
from processes.engine.validate import validate
from processes.jobs import run_service_task
from processes.models import (
    INSTANCE_TRANSITIONS,
    VERSION_TRANSITIONS,
    Incident,
    InstanceEvent,
    InstanceStatus,
    InstanceWait,
    Journey,
    JourneyVersion,
    ProcessInstance,
    Timer,
    VersionStatus,
)
from processes.runtime import engine_for
from tasks.models import LIVE_TASK_STATUSES, Role, Task
from workflow_site import effects, statements, telemetry
from workflow_site import permissions as shared_permissions
from workflow_site.errors import ApplicationError, ConflictError, NotFoundError

JOURNEY_PERMISSIONS = {
    "start": permissions.START,
    "design": permissions.DESIGN,
    "view": permissions.VIEW,
}


#: An instance's work items by engine item id: (element id, engine status).
WorkItems = dict[int, tuple[str, str]]


def check_bpmn(*, bpmn_xml: str) -> list[ProcessSummary]:
    """The processes of a BPMN document, or a 400 naming ``bpmn_xml`` and what is wrong with it."""
    try:
        definitions = parse_definitions(bpmn_xml)
    except BpmnSyntaxError as exc:
        details = {"line": exc.line} if exc.line else {}
        raise ApplicationError("invalid_bpmn", str(exc), field="bpmn_xml", details=details) from exc
    processes = process_summaries(definitions)
    if not processes:
        raise ApplicationError(
            "invalid_bpmn", "The BPMN document declares no process.", field="bpmn_xml"
        )
    return processes


def _check_permission(user: Any, permission: str, journey: Journey | None = None) -> None:
    shared_permissions.require(user, permission, journey)


@audit.audit_batched
def journey_create(
    *, actor: Any, key: str, name: str, description: str = "", bpmn_xml: str
) -> Journey:
    """Create a journey with its first draft (version 1). The actor may design it from then on."""
    _check_permission(actor, "processes.add_journey")
    check_bpmn(bpmn_xml=bpmn_xml)
    if not name.strip():
        raise ApplicationError("required", "A journey needs a name.", field="name")
    if Journey.objects.filter(key=key).exists():
        raise ApplicationError(
            "duplicate_key", f"A journey with key {key!r} already exists.", field="key"
        )
    journey = Journey.objects.create(
        key=key, name=name.strip(), description=description, created_by=actor
    )
    JourneyVersion.objects.create(journey=journey, number=1, bpmn_xml=bpmn_xml, created_by=actor)
    assign_perm(permissions.DESIGN, actor, journey)
    _audit_journey(
        "journey.created", actor, journey, after={"key": key, "name": journey.name, "version": 1}
    )
    return journey


def _audit_journey(
    type: str,
    actor: Any,
    journey: Journey,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    audit.audit_record(
        type=type,
        actor=actor,
        object_type="journey",
        object_id=journey.pk,
        journey_id=journey.pk,
        before=before,
        after=after,
    )


@audit.audit_batched
def journey_import(
    *, actor: Any, bpmn_xml: str, key: str = "", name: str = "", description: str = ""
) -> Journey:
    """Create a journey from an uploaded BPMN document. Without a name it is named after the
    document's (first executable) process, and without a key the key is that name slugified."""
    _check_permission(actor, "processes.add_journey")
    processes = check_bpmn(bpmn_xml=bpmn_xml)
    process = next((summary for summary in processes if summary.is_executable), processes[0])
    name = name.strip() or process.name
    key = key or slugify(name)[:100] or slugify(process.id)[:100]
    if not key:
        raise ApplicationError(
            "required", "Give the journey a key; none can be made from its name.", field="key"
        )
    return journey_create(
        actor=actor, key=key, name=name, description=description, bpmn_xml=bpmn_xml
    )


def _locked_journey(journey: Journey) -> Journey:
    return Journey.objects.select_for_update(of=("self",)).get(pk=journey.pk)


@audit.audit_batched
def journey_draft_save(
    *, actor: Any, journey: Journey, bpmn_xml: str, expected_lock_version: int | None
) -> JourneyVersion:
    """Save the journey's draft, starting a new numbered draft if it has none.

    ``expected_lock_version`` is the draft's ``lock_version`` the editor started from (``None`` when
    it started from no draft); a different one means someone else saved in between: 409.
    """
    _check_permission(actor, permissions.DESIGN, journey)
    check_bpmn(bpmn_xml=bpmn_xml)
    journey = _locked_journey(journey)
    draft = journey.versions.filter(status=VersionStatus.DRAFT).first()
    if draft is None:
        if expected_lock_version is not None:
            raise ConflictError(
                "draft_conflict",
                "The draft you edited has been published or discarded meanwhile.",
                field="lock_version",
            )
        number = (journey.versions.aggregate(top=Max("number"))["top"] or 0) + 1
        created = JourneyVersion.objects.create(
            journey=journey, number=number, bpmn_xml=bpmn_xml, created_by=actor
        )
        _audit_journey(
            "journey.draft_saved", actor, journey, after={"version": number, "lock_version": 1}
        )
        return created
    if expected_lock_version != draft.lock_version:
        raise ConflictError(
            "draft_conflict",
            "Someone else saved this draft after you opened it; reload it and redo your changes.",
            field="lock_version",
            details={"current_lock_version": draft.lock_version},
        )
    draft.bpmn_xml = bpmn_xml
    draft.lock_version += 1
    draft.updated_at = timezone.now()
    draft.save(update_fields=["bpmn_xml", "lock_version", "updated_at"])
    _audit_journey(
        "journey.draft_saved",
        actor,
        journey,
        before={"lock_version": draft.lock_version - 1},
        after={"version": draft.number, "lock_version": draft.lock_version},
    )
    return draft


def check_executable(*, bpmn_xml: str) -> None:
    """Refuse a process the engine cannot run, listing every error finding by element."""
    check_bpmn(bpmn_xml=bpmn_xml)
    definitions = import_definitions(bpmn_xml)
    findings = (
        validate(definitions) + selectors.form_findings(definitions) + sla.sla_findings(definitions)
    )
    errors = [finding for finding in findings if finding.severity == "error"]
    if errors:
        first = errors[0]
        raise ApplicationError(
            "invalid_process",
            f"The process has {len(errors)} error(s); the first: {first.element_id}: "
            f"{first.message}",
            field="bpmn_xml",
            details={"findings": [finding.as_dict() for finding in findings]},
        )


@audit.audit_batched
def journey_version_publish(*, actor: Any, version: JourneyVersion) -> JourneyVersion:
    """Publish a draft as an immutable numbered version; new instances start on it.

    A version with validation errors is refused: what is published must run.
    """
    _check_permission(actor, permissions.DESIGN, version.journey)
    _locked_journey(version.journey)
    version = JourneyVersion.objects.select_for_update(of=("self",)).get(pk=version.pk)
    VERSION_TRANSITIONS.check(version.status, VersionStatus.PUBLISHED)
    check_executable(bpmn_xml=version.bpmn_xml)
    from rules.services import rule_pins_record

    rule_pins_record(actor=actor, version=version)  # the rule versions it runs with
    before = {"status": version.status}
    version.status = VersionStatus.PUBLISHED
    version.published_by = actor
    version.published_at = timezone.now()
    version.save(update_fields=["status", "published_by", "published_at"])
    _audit_journey(
        "journey.published",
        actor,
        version.journey,
        before=before,
        after={"version": version.number, "status": version.status},
    )
    return version


@audit.audit_batched
def journey_version_retire(*, actor: Any, version: JourneyVersion) -> JourneyVersion:
    """Retire a published version: no new instances start on it; running ones carry on."""
    _check_permission(actor, permissions.DESIGN, version.journey)
    version = JourneyVersion.objects.select_for_update(of=("self",)).get(pk=version.pk)
    VERSION_TRANSITIONS.check(version.status, VersionStatus.RETIRED)
    before = {"status": version.status}
    version.status = VersionStatus.RETIRED
    version.retired_by = actor
    version.retired_at = timezone.now()
    version.save(update_fields=["status", "retired_by", "retired_at"])
    _audit_journey(
        "journey.retired",
        actor,
        version.journey,
        before=before,
        after={"version": version.number, "status": version.status},
    )
    return version


def _journey_permission(action: str) -> str:
    try:
        return JOURNEY_PERMISSIONS[action]
    except KeyError:
        raise ApplicationError(
            "invalid_choice",
            f"Unknown journey permission {action!r}; use one of {sorted(JOURNEY_PERMISSIONS)}.",
            field="permission",
        ) from None


@audit.audit_batched
def journey_permission_grant(*, actor: Any, journey: Journey, role: Role, action: str) -> None:
    """Let every member of ``role`` ``action`` (start, design or view) this journey."""
    permission = _journey_permission(action)
    _check_permission(actor, permissions.DESIGN, journey)
    if _role_may(role, permission, journey):
        return  # nothing changes, so nothing to audit
    assign_perm(permission, role.group, journey)
    _audit_journey(
        "permission.granted", actor, journey, after={"role": role.key, "permission": action}
    )


def _role_may(role: Role, permission: str, journey: Journey) -> bool:
    return permission.split(".", 1)[1] in get_perms(role.group, journey)


@audit.audit_batched
def journey_permission_revoke(*, actor: Any, journey: Journey, role: Role, action: str) -> None:
    permission = _journey_permission(action)
    _check_permission(actor, permissions.DESIGN, journey)
    if not _role_may(role, permission, journey):
        return
    remove_perm(permission, role.group, journey)
    _audit_journey(
        "permission.revoked", actor, journey, before={"role": role.key, "permission": action}
    )


@audit.audit_batched
def journey_update(*, actor: Any, journey: Journey, name: str, description: str) -> Journey:
    """Rename a journey or change its description."""
    _check_permission(actor, permissions.DESIGN, journey)
    if not name.strip():
        raise ApplicationError("required", "A journey needs a name.", field="name")
    before = dict(Journey.objects.filter(pk=journey.pk).values("name", "description").get())
    journey.name = name.strip()
    journey.description = description
    journey.save(update_fields=["name", "description"])
    _audit_journey(
        "journey.updated",
        actor,
        journey,
        before=before,
        after={"name": journey.name, "description": journey.description},
    )
    return journey


# ---------------------------------------------------------------------------------------------
# Process instances: every event goes through ``_apply`` in one transaction that locks the
# instance row first, then its task rows in primary-key order.
# ---------------------------------------------------------------------------------------------

FINAL_STATUSES = frozenset(
    {
        InstanceStatus.COMPLETED,
        InstanceStatus.CANCELLED,
        InstanceStatus.FAILED,
        InstanceStatus.TERMINATED,
    }
)


def _node(engine: Engine, element_id: str) -> Node | None:
    for process in engine.definitions.processes.values():
        node = process.nodes.get(element_id)
        if node is not None:
            return node
    return None


#: The audit event type of each kind of instance history; None keeps a kind out of the audit
#: trail (a task's start and completion are audited per task row by ``tasks.services``).
AUDIT_TYPES: dict[str, str | None] = {
    "started": "instance.started",
    "message": "instance.advanced",
    "signal": "instance.advanced",
    "timer": "instance.advanced",
    "job_done": "instance.advanced",
    "job_queued": None,
    "task_start": None,
    "task_completed": None,
    "incident": "incident.raised",
    "incident_retried": "incident.retried",
    InstanceStatus.RUNNING: "instance.resumed",
    InstanceStatus.SUSPENDED: "instance.suspended",
    InstanceStatus.COMPLETED: "instance.completed",
    InstanceStatus.CANCELLED: "instance.cancelled",
    InstanceStatus.FAILED: "instance.failed",
    InstanceStatus.TERMINATED: "instance.terminated",
}


def _record(
    instance: ProcessInstance,
    *,
    actor: Any,
    kind: str,
    element_id: str = "",
    detail: dict[str, Any] | None = None,
    subject: tuple[str, Any] | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
) -> None:
    """Add to the instance's history and, for the kinds in ``AUDIT_TYPES``, to the audit trail
    (about ``subject``, the instance unless named; ``before``/``after``: what changed)."""
    statements.insert(
        [
            InstanceEvent(
                instance=instance,
                actor=actor if getattr(actor, "is_authenticated", False) else None,
                kind=kind,
                element_id=element_id,
                detail=detail or {},
            )
        ]
    )
    _audit_instance(
        instance,
        AUDIT_TYPES.get(kind, f"instance.{kind}"),
        actor=actor,
        element_id=element_id,
        subject=subject,
        before=before,
        after=after,
        reason=reason,
    )


def _audit_instance(
    instance: ProcessInstance,
    audit_type: str | None,
    *,
    actor: Any,
    element_id: str = "",
    subject: tuple[str, Any] | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
) -> None:
    if audit_type is None:
        return
    object_type, object_id = subject or ("instance", instance.pk)
    audit.audit_record(
        type=audit_type,
        actor=actor,
        object_type=object_type,
        object_id=object_id,
        instance_id=instance.pk,
        journey_id=instance.version.journey_id,
        element_id=element_id,
        before=before,
        after=after,
        reason=reason,
    )


def _notify_instance(
    instance: ProcessInstance, change: str, outbox: effects.Outbox | None = None
) -> None:
    send = outbox.broadcast if outbox is not None else effects.broadcast_on_commit
    send(
        f"instance.{instance.pk}",
        {
            "kind": "instance",
            "change": change,
            "instance": instance.pk,
            "status": instance.status,
            "version": instance.lock_version,
        },
    )


def _store(
    instance: ProcessInstance,
    engine: Engine,
    state: CaseState,
    fired: list[Effect],
    *,
    actor: Any,
    completion: dict[str, Any] | None = None,
    before: tuple[list[Any], set[str]] | None = None,
    items_before: WorkItems | None = None,
    in_hand: Task | None = None,
    written: bool = False,
) -> None:
    """Write the engine's new state and bring the task, timer, wait and incident rows in line.

    ``written``: the instance row was just inserted holding this state (nothing to update).

    ``before`` holds the armed timers and waits of the state the event was applied to, and
    ``items_before`` its work items: what did not change needs no query. ``in_hand`` is the task
    row the caller already holds (the one being completed or started). The caller holds the
    instance row lock.
    """
    outbox = effects.Outbox()
    status_before = instance.status
    instance.marking = state_to_json(state)
    instance.data = copy.deepcopy(state.data)
    engine_status = state.status
    suspended_but_running = (
        instance.status == InstanceStatus.SUSPENDED and engine_status == InstanceStatus.RUNNING
    )
    if not suspended_but_running and engine_status != instance.status:
        INSTANCE_TRANSITIONS.check(instance.status, engine_status)
        instance.status = engine_status
    if instance.status in FINAL_STATUSES and instance.ended_at is None:
        instance.ended_at = timezone.now()
    if not written:
        instance.lock_version += 1
        statements.update(instance, ("marking", "data", "status", "ended_at", "lock_version"))
    if instance.status != status_before:
        _audit_instance(
            instance,
            AUDIT_TYPES[instance.status],
            actor=actor,
            before={"status": status_before},
            after={"status": instance.status},
        )
    _sync_tasks(
        instance,
        engine,
        state,
        fired,
        actor=actor,
        completion=completion,
        outbox=outbox,
        items_before=items_before,
        in_hand=in_hand,
    )
    timers, waits = _timers_and_waits(engine, state)
    if before is None or before[0] != timers:
        _sync_timers(instance, state)
    if before is None or before[1] != waits:
        _sync_waits(instance, engine, state)
        sla.instance_waits_changed(
            instance=instance, engine=engine, before=before[1] if before else (), after=waits
        )
    for effect in fired:
        if effect[0] == "job":
            _, activity, element_id, topic = effect
            effects.enqueue_on_commit(run_service_task, instance.pk, activity)
            _record(
                instance,
                actor=None,
                kind="job_queued",
                element_id=element_id,
                detail={"topic": topic, "activity": activity},
            )
        elif effect[0] == "incident":
            _, element_id, message = effect
            incident = Incident.objects.create(
                instance=instance, element_id=element_id or "", kind="engine", message=message
            )
            _record(
                instance,
                actor=None,
                kind="incident",
                element_id=element_id or "",
                detail={"message": message},
                subject=("incident", incident.pk),
                after={"kind": "engine", "message": message},
            )
    _notify_instance(instance, "advanced", outbox)
    sla.dashboard_touch(outbox)
    outbox.send_on_commit()


def _timers_and_waits(engine: Engine, state: CaseState) -> tuple[list[Any], set[str]]:
    waits = {key for key in snapshot(engine, state)["waiting"] if not key.startswith("timer:")}
    return armed_timers(state), waits


def _work_items(engine: Engine, state: CaseState) -> WorkItems:
    return {item: (element, status) for item, element, status in work_items(engine, state)}


def _sync_tasks(
    instance: ProcessInstance,
    engine: Engine,
    state: CaseState,
    fired: list[Effect],
    *,
    actor: Any,
    completion: dict[str, Any] | None,
    outbox: effects.Outbox | None = None,
    items_before: WorkItems | None = None,
    in_hand: Task | None = None,
) -> None:
    """Complete, withdraw, update and create task rows to match the engine's work items.

    With ``items_before`` only the rows of items that went away or changed are read (none when
    that is the task in hand); without it every live row of the instance is read and compared.
    """
    from tasks import services as task_services

    items = _work_items(engine, state)
    completed = {effect[1] for effect in fired if effect[0] == "completed"}

    def live() -> QuerySet[Task]:
        return Task.objects.select_for_update(of=("self",)).filter(
            instance=instance, status__in=LIVE_TASK_STATUSES
        )

    if items_before is None:
        rows = list(live().order_by("pk"))
        known = {task.activity for task in rows}
    else:
        moved = {
            item
            for item, (_, status) in items_before.items()
            if items.get(item, (0, ""))[1] != status
        }
        held = in_hand if in_hand is not None and in_hand.activity in moved else None
        wanted = moved - {held.activity} if held is not None else moved
        rows = list(live().filter(activity__in=wanted).order_by("pk")) if wanted else []
        if held is not None:
            rows.append(held)
        known = set(items_before)
    for task in rows:
        task.instance = instance  # the audit events read its journey from here
        found = items.get(task.activity) if task.activity is not None else None
        if found is None:
            if task.activity in completed:
                task_services.task_mark_completed(
                    task=task, actor=actor, data=completion or {}, outbox=outbox
                )
            else:
                task_services.task_mark_withdrawn(task=task, actor=actor, outbox=outbox)
            continue
        task_services.task_follow_engine(
            task=task, engine_status=found[1], actor=actor, outbox=outbox
        )
    for item, (element_id, status) in items.items():
        if item in known:
            continue
        node = _node(engine, element_id)
        task_services.task_create_for_item(
            instance=instance,
            activity=item,
            element_id=element_id,
            node=node,
            engine_status=status,
            variables=state.data,
            outbox=outbox,
        )


def _sync_timers(instance: ProcessInstance, state: CaseState) -> None:
    armed = {sub: (element, due) for sub, element, due in armed_timers(state)}
    existing = {timer.subscription: timer for timer in instance.timers.all()}
    stale = [timer.pk for sub, timer in existing.items() if sub not in armed]
    if stale:
        Timer.objects.filter(pk__in=stale).delete()
    for sub, (element, due) in armed.items():
        timer = existing.get(sub)
        if timer is None:
            Timer.objects.create(
                instance=instance, subscription=sub, element_id=element, due_at=due
            )
        elif timer.due_at != due:
            timer.due_at, timer.claimed_at = due, None
            timer.save(update_fields=["due_at", "claimed_at"])


def _sync_waits(instance: ProcessInstance, engine: Engine, state: CaseState) -> None:
    wanted = {key for key in snapshot(engine, state)["waiting"] if not key.startswith("timer:")}
    existing = set(instance.waits.values_list("key", flat=True))
    if existing - wanted:
        instance.waits.filter(key__in=existing - wanted).delete()
    InstanceWait.objects.bulk_create(
        [InstanceWait(instance=instance, key=key) for key in sorted(wanted - existing)]
    )


class _RowLock:
    """The mark of an instance row the current transaction locked (see ``instance_locked``)."""

    __slots__ = ()

    def __call__(self) -> None:
        """Nothing to do at commit: the hook only stands for the lock while it is held."""


def instance_locked(instance_id: int | QuerySet[Any]) -> ProcessInstance:
    """Lock the instance row until the transaction ends (``SELECT ... FOR UPDATE``) and read it
    with its version and journey. ``instance_id`` may be a one-column queryset that finds it.

    The object remembers that this transaction holds its lock, as a commit hook: Django keeps a
    hook exactly as long as the transaction, or the savepoint, that registered it, which is as
    long as PostgreSQL keeps the row lock. A service handed the object can then skip reading it
    again (``_still_locked``).
    """
    instance = selectors.instance_with_version(instance_id, lock=True)
    if instance is None:
        raise ProcessInstance.DoesNotExist("No such process instance.")
    return remember_lock(instance)


def remember_lock(instance: ProcessInstance) -> ProcessInstance:
    """Mark ``instance`` as locked by the current transaction, whose statement just locked and
    read its row (see ``instance_locked``)."""
    if connection.in_atomic_block:
        mark = _RowLock()
        transaction.on_commit(mark)
        instance._row_lock = mark  # type: ignore[attr-defined]
    return instance


def _still_locked(instance: ProcessInstance) -> bool:
    mark = getattr(instance, "_row_lock", None)
    return mark is not None and any(entry[1] is mark for entry in connection.run_on_commit)


def holds_instance_lock(task: Task) -> bool:
    """Whether the current transaction locked and read ``task``'s instance row (which
    ``tasks.access.access_task(for_update=True)`` does)."""
    return Task.instance.is_cached(task) and _still_locked(task.instance)


def _locked_instance(instance_id: int, in_hand: Task | None = None) -> ProcessInstance:
    """The locked instance row: the one ``in_hand`` carries when this transaction locked and
    read it (``tasks.access.access_task(for_update=True)``), else locked and read now."""
    if in_hand is not None and in_hand.instance_id == instance_id and holds_instance_lock(in_hand):
        return in_hand.instance
    return instance_locked(instance_id)


@telemetry.traced("process.advance")
def _apply(
    *,
    instance_id: int,
    event: dict[str, Any],
    actor: Any,
    kind: str,
    element_id: str = "",
    detail: dict[str, Any] | None = None,
    completion: dict[str, Any] | None = None,
    in_hand: Task | None = None,
) -> ProcessInstance:
    """Fire one engine event on a running instance. Caller: inside ``transaction.atomic``.

    ``in_hand``: the task row the event is about, already read by the caller (it is updated in
    place rather than read again)."""
    telemetry.annotate(instance_id=instance_id, event_kind=kind, element_id=element_id or None)
    instance = _locked_instance(instance_id, in_hand)
    if instance.status == InstanceStatus.SUSPENDED:
        raise ConflictError(
            "instance_suspended", "The instance is suspended; resume it first.", field="status"
        )
    if instance.status != InstanceStatus.RUNNING:
        raise ConflictError(
            "instance_not_running", f"The instance is {instance.status}.", field="status"
        )
    engine = engine_for(instance.version)
    state = state_from_json(instance.marking)
    before = _timers_and_waits(engine, state)
    items_before = _work_items(engine, state)
    try:
        fired = engine.fire(state, event)
    except Rejected as rejection:
        raise ConflictError(rejection.code, rejection.message) from None
    _record(
        instance,
        actor=actor,
        kind=kind,
        element_id=element_id,
        detail=detail,
        before={"data": instance.data},
        after={"event": {"kind": kind, **(detail or {})}, "data": state.data},
    )
    _store(
        instance,
        engine,
        state,
        fired,
        actor=actor,
        completion=completion,
        before=before,
        items_before=items_before,
        in_hand=in_hand,
    )
    telemetry.annotate(instance_status=instance.status)
    return instance


def instance_task_event(
    *, actor: Any, task: Task, event: dict[str, Any], completion: dict[str, Any] | None = None
) -> ProcessInstance:
    """Fire the engine event a task action stands for. Caller holds the instance, then task lock."""
    verb = next(iter(event))
    return _apply(
        instance_id=task.instance_id,
        event=event,
        actor=actor,
        kind=f"task_{verb}" if verb != "complete" else "task_completed",
        element_id=task.element_id,
        detail={"task": task.pk},
        completion=completion,
        in_hand=task,
    )


@telemetry.traced("process.start")
@audit.audit_batched
def instance_start(
    *,
    actor: Any,
    journey: Journey,
    data: dict[str, Any] | None = None,
    business_key: str = "",
    correlation_key: str = "",
) -> ProcessInstance:
    """Start an instance of the journey's latest published version."""
    _check_permission(actor, permissions.START, journey)
    if data is not None and not isinstance(data, dict):
        raise ApplicationError("invalid", "Start data must be an object.", field="data")
    version = selectors.journey_version_latest_published(journey=journey)
    if version is None:
        raise ApplicationError(
            "not_published", "The journey has no published version to start.", field="journey"
        )
    engine = engine_for(version)
    state, fired = engine.start(copy.deepcopy(data or {}), now=timezone.now())
    # A running start is inserted with its state at once; one that ended at once goes through
    # the status change (and its audit event) in _store.
    running = state.status == InstanceStatus.RUNNING
    instance = ProcessInstance.objects.create(
        marking=state_to_json(state) if running else {},
        data=copy.deepcopy(state.data) if running else {},
        lock_version=1 if running else 0,
        version=version,
        business_key=business_key[:200],
        correlation_key=correlation_key[:200],
        started_by=actor if getattr(actor, "is_authenticated", False) else None,
        status=InstanceStatus.RUNNING,
        **sla.instance_sla_fields(engine=engine, journey_id=journey.pk, now=timezone.now()),
    )
    _record(
        instance,
        actor=actor,
        kind="started",
        detail={"version": version.number},
        after={
            "status": instance.status,
            "version": version.number,
            "business_key": instance.business_key,
            "correlation_key": instance.correlation_key,
            "data": state.data,
        },
    )
    _store(
        instance,
        engine,
        state,
        fired,
        actor=actor,
        before=([], set()),
        items_before={},
        written=running,
    )
    telemetry.process_started(journey.key, version.number, instance.pk)
    return instance


def _operator_check(actor: Any, instance: ProcessInstance) -> None:
    if not selectors.may_operate(actor=actor, instance=instance):
        raise ApplicationError(
            "permission_denied", "Only managers and operators may do this.", field="instance"
        )


def _set_status(instance: ProcessInstance, target: str, *, actor: Any, reason: str = "") -> None:
    INSTANCE_TRANSITIONS.check(instance.status, target)
    before = {"status": instance.status}
    instance.status = target
    if target in FINAL_STATUSES:
        instance.ended_at = timezone.now()
        instance.end_reason = reason
    instance.lock_version += 1
    instance.save(update_fields=["status", "ended_at", "end_reason", "lock_version"])
    _record(
        instance,
        actor=actor,
        kind=target,
        detail={"reason": reason} if reason else {},
        before=before,
        after={"status": target},
        reason=reason,
    )
    _notify_instance(instance, target)


@audit.audit_batched
def instance_suspend(*, actor: Any, instance_id: int, reason: str = "") -> ProcessInstance:
    instance = _locked_instance(instance_id)
    _operator_check(actor, instance)
    _set_status(instance, InstanceStatus.SUSPENDED, actor=actor, reason=reason)
    return instance


@audit.audit_batched
def instance_resume(*, actor: Any, instance_id: int) -> ProcessInstance:
    instance = _locked_instance(instance_id)
    _operator_check(actor, instance)
    if instance.status != InstanceStatus.SUSPENDED:
        raise ConflictError(
            "illegal_transition", f"A {instance.status} instance cannot be resumed.", field="status"
        )
    _set_status(instance, InstanceStatus.RUNNING, actor=actor)
    return instance


def _end(instance_id: int, *, actor: Any, target: str, reason: str) -> ProcessInstance:
    instance = _locked_instance(instance_id)
    _operator_check(actor, instance)
    INSTANCE_TRANSITIONS.check(instance.status, target)
    engine = engine_for(instance.version)
    state = state_from_json(instance.marking)
    if state.status == InstanceStatus.RUNNING:
        engine.fire(state, {"cancel_case": True})
    instance.marking = state_to_json(state)
    _sync_tasks(instance, engine, state, [], actor=actor, completion=None)
    _sync_timers(instance, state)
    _sync_waits(instance, engine, state)
    _set_status(instance, target, actor=actor, reason=reason)
    instance.save(update_fields=["marking"])
    return instance


@audit.audit_batched
def instance_cancel(*, actor: Any, instance_id: int, reason: str) -> ProcessInstance:
    """End the instance unsuccessfully; every open task is withdrawn. A reason is required."""
    if not reason or not reason.strip():
        raise ApplicationError("required", "Say why the instance is cancelled.", field="reason")
    return _end(instance_id, actor=actor, target=InstanceStatus.CANCELLED, reason=reason.strip())


@audit.audit_batched
def instance_terminate(*, actor: Any, instance_id: int, reason: str = "") -> ProcessInstance:
    """Stop the instance at once (an operator's action), withdrawing everything still open."""
    return _end(instance_id, actor=actor, target=InstanceStatus.TERMINATED, reason=reason.strip())


@audit.audit_batched
def instance_message(
    *, actor: Any, instance_id: int, name: str, data: dict[str, Any] | None = None
) -> ProcessInstance:
    """Deliver a message to one instance (kept by the engine until a catch consumes it)."""
    return _apply(
        instance_id=instance_id,
        event={"message": name, "data": data or {}},
        actor=actor,
        kind="message",
        detail={"name": name},
    )


def _check_sender(actor: Any) -> None:
    """Messages and signals reach instances their sender may not see: only integrations and
    operators holding ``processes.send_message`` may send them."""
    if not (actor is not None and actor.is_active and actor.has_perm("processes.send_message")):
        raise ApplicationError(
            "permission_denied",
            "Sending messages and signals needs the 'send message' permission.",
            details={"permission": "processes.send_message"},
        )


def message_correlate(
    *, actor: Any, name: str, correlation_key: str, data: dict[str, Any] | None = None
) -> list[int]:
    """Deliver a message to every running instance with this correlation key; their ids."""
    _check_sender(actor)
    if not name:
        raise ApplicationError("required", "A message needs a name.", field="name")
    if not correlation_key:
        raise ApplicationError(
            "required", "A message needs a correlation key.", field="correlation_key"
        )
    targets = list(
        ProcessInstance.objects.filter(
            correlation_key=correlation_key, status=InstanceStatus.RUNNING
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not targets:
        raise NotFoundError(
            "no_instance",
            f"No running instance has the correlation key {correlation_key!r}.",
            field="correlation_key",
        )
    for instance_id in targets:
        instance_message(actor=actor, instance_id=instance_id, name=name, data=data)
    return targets


def signal_broadcast(*, actor: Any, name: str) -> list[int]:
    """Send a signal to every running instance waiting for it (one transaction each)."""
    _check_sender(actor)
    if not name:
        raise ApplicationError("required", "A signal needs a name.", field="name")
    targets = list(
        InstanceWait.objects.filter(key=f"signal:{name}", instance__status=InstanceStatus.RUNNING)
        .order_by("instance_id")
        .values_list("instance_id", flat=True)
        .distinct()
    )
    reached = []
    for instance_id in targets:
        with transaction.atomic(), audit.audit_batch():
            try:
                _apply(
                    instance_id=instance_id,
                    event={"signal": name},
                    actor=actor,
                    kind="signal",
                    detail={"name": name},
                )
            except ConflictError:
                continue  # it stopped waiting meanwhile
        reached.append(instance_id)
    return reached


@audit.audit_batched
def instance_job_done(
    *, instance_id: int, activity: int, data: dict[str, Any] | None = None
) -> ProcessInstance:
    """A service task's job finished: continue after it with its result."""
    return _apply(
        instance_id=instance_id,
        event={"job_done": activity, "data": data or {}},
        actor=None,
        kind="job_done",
        detail={"activity": activity},
    )


@audit.audit_batched
def instance_job_failed(
    *, instance_id: int, activity: int, element_id: str, message: str, attempts: int
) -> Incident:
    """A service task ran out of retries: raise an incident an operator can retry."""
    instance = _locked_instance(instance_id)
    incident = Incident.objects.create(
        instance=instance,
        element_id=element_id,
        activity=activity,
        kind="service_task",
        message=message[:2000],
        attempts=attempts,
    )
    _record(
        instance,
        actor=None,
        kind="incident",
        element_id=element_id,
        detail={"message": message[:500], "attempts": attempts},
        subject=("incident", incident.pk),
        after={"kind": "service_task", "message": message[:500], "attempts": attempts},
    )
    _notify_instance(instance, "incident")
    return incident


@audit.audit_batched
def incident_retry(*, actor: Any, incident_id: int) -> Incident:
    """Run the failed service task again (the operator fixed what made it fail)."""
    incident = Incident.objects.select_related("instance").get(pk=incident_id)
    instance = _locked_instance(incident.instance_id)
    _operator_check(actor, instance)
    if incident.resolved_at is not None:
        raise ConflictError("already_resolved", "The incident is already resolved.")
    if incident.kind != "service_task" or incident.activity is None:
        raise ConflictError("not_retryable", "Only a failed service task can be retried.")
    incident.resolved_at = timezone.now()
    incident.resolved_by = actor
    incident.save(update_fields=["resolved_at", "resolved_by"])
    _record(
        instance,
        actor=actor,
        kind="incident_retried",
        element_id=incident.element_id,
        subject=("incident", incident.pk),
        before={"resolved": False},
        after={"resolved": True},
    )
    effects.enqueue_on_commit(run_service_task, instance.pk, incident.activity)
    return incident


def timer_fire(*, timer_id: int) -> bool:
    """Fire one claimed timer in its own transaction; False if it was no longer armed."""
    with transaction.atomic(), audit.audit_batch():
        timer = (
            Timer.objects.filter(pk=timer_id)
            .values("instance_id", "subscription", "element_id")
            .first()
        )
        if timer is None:
            return False
        instance = _locked_instance(timer["instance_id"])
        if instance.status != InstanceStatus.RUNNING:
            Timer.objects.filter(pk=timer_id).update(claimed_at=None)
            return False
        try:
            _apply(
                instance_id=instance.pk,
                event={"timer": timer["element_id"], "subscription": timer["subscription"]},
                actor=None,
                kind="timer",
                element_id=timer["element_id"],
            )
        except ConflictError:
            Timer.objects.filter(pk=timer_id).delete()
            return False
        return True


#: A claimed timer whose sweeper died is taken over after this long.
TIMER_CLAIM_TIMEOUT = timedelta(seconds=60)
TIMERS_PER_SWEEP = 200


def timers_fire_due(now: datetime) -> int:
    """The timer sweep: claim due timers (``SKIP LOCKED``), then fire each in its own transaction.

    Claiming commits before firing, so a sweeper never holds a timer row while it waits for an
    instance lock; a second sweeper skips the claimed rows. Firing checks the engine still has
    the timer armed, so a repeated or late sweep fires nothing twice.
    """
    with transaction.atomic():
        due = list(
            Timer.objects.select_for_update(of=("self",), skip_locked=True)
            .filter(due_at__lte=now, instance__status=InstanceStatus.RUNNING)
            .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - TIMER_CLAIM_TIMEOUT))
            .order_by("due_at", "pk")
            .values_list("pk", flat=True)[:TIMERS_PER_SWEEP]
        )
        Timer.objects.filter(pk__in=due).update(claimed_at=now)
    return sum(1 for timer_id in due if timer_fire(timer_id=timer_id))
