"""Every change to roles and their members (work-item services come with the engine)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.http import QueryDict
from django.utils import timezone

from monitoring import services as audit
from monitoring import sla
from processes.engine.expressions import ExpressionError, evaluate
from processes.engine.model import Node
from processes.engine.timers import TimerError, parse_duration
from tasks.forms import form_schema, validate_submission
from tasks.models import (
    OPEN_TASK_STATUSES,
    TASK_TRANSITIONS,
    Role,
    SavedFilter,
    Task,
    TaskComment,
    TaskStatus,
)
from tasks.routing import choose_assignee
from tasks.selectors import has_completed, is_candidate, is_manager
from workflow_site import effects, statements, telemetry
from workflow_site.errors import ApplicationError, ConflictError, NotFoundError


def _audit_role(
    type: str,
    actor: Any,
    role: Role,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    audit.audit_record(
        type=type,
        actor=actor,
        object_type="role",
        object_id=role.pk,
        before=before,
        after=after,
    )


def _role_state(role: Role) -> dict[str, Any]:
    manager = role.manager.get_username() if role.manager is not None else None
    return {"name": role.name, "description": role.description, "manager": manager}


@audit.audit_batched
def role_create(
    *,
    key: str,
    name: str,
    description: str = "",
    manager: Any | None = None,
    actor: Any = None,
) -> Role:
    """Create a role and the Django group that holds its members and permissions."""
    if not key.strip():
        raise ApplicationError("required", "A role needs a key.", field="key")
    if Role.objects.filter(key=key).exists():
        raise ApplicationError(
            "duplicate_key", f"A role with key {key!r} already exists.", field="key"
        )
    group_name = f"role:{key}"
    if Group.objects.filter(name=group_name).exists():
        raise ApplicationError(
            "duplicate_key", f"The group {group_name!r} already exists.", field="key"
        )
    group = Group.objects.create(name=group_name)
    role = Role.objects.create(
        key=key, name=name or key, description=description, group=group, manager=manager
    )
    _audit_role("role.created", actor, role, after={"key": key, **_role_state(role)})
    return role


@audit.audit_batched
def role_member_add(*, role: Role, user: Any, actor: Any = None) -> None:
    """Make ``user`` a member of ``role`` (audited when they were not one already)."""
    if user.groups.filter(pk=role.group_id).exists():
        return
    user.groups.add(role.group)
    _audit_role("role.member_added", actor, role, after={"member": user.get_username()})


@audit.audit_batched
def role_member_remove(*, role: Role, user: Any, actor: Any = None) -> None:
    """Take ``user`` out of ``role`` (audited when they were a member)."""
    if not user.groups.filter(pk=role.group_id).exists():
        return
    user.groups.remove(role.group)
    _audit_role("role.member_removed", actor, role, before={"member": user.get_username()})


@audit.audit_batched
def role_update(
    *, role: Role, name: str, description: str, manager: Any | None, actor: Any = None
) -> Role:
    """Rename a role, change its description or its manager (who is told of escalations)."""
    if not name.strip():
        raise ApplicationError("required", "A role needs a name.", field="name")
    stored = Role.objects.select_related("manager").get(pk=role.pk)
    role.name = name.strip()
    role.description = description
    role.manager = manager
    before, after = _role_state(stored), _role_state(role)
    if before != after:
        # Recorded before the role row is written: routing updates role rows after taking the
        # audit chain's lock, so taking that lock first keeps the two in one order.
        _audit_role("role.updated", actor, role, before=before, after=after)
    role.save(update_fields=["name", "description", "manager"])
    return role


# ---------------------------------------------------------------------------------------------
# Work items. The engine decides which items exist (processes.services keeps the rows in line
# with it); these services add who works on them. Every service that changes a task is called
# with the instance row locked first, then the task row (see ``tasks.access.access_task``).
# ---------------------------------------------------------------------------------------------


def _priority(value: str | None) -> int:
    try:
        return max(0, min(100, int(value))) if value not in (None, "") else 50
    except (TypeError, ValueError):
        return 50


def _due(value: str | None) -> Any:
    if not value:
        return None
    try:
        return parse_duration(value).add_to(timezone.now())
    except TimerError:
        return None


def _evaluated_assignee(expression: str | None, variables: Mapping[str, Any]) -> str | None:
    if not expression:
        return None
    try:
        value = evaluate(expression, variables)
    except ExpressionError:
        return expression if expression.isidentifier() else None
    return str(value) if value else None


def task_create_for_item(
    *,
    instance: Any,
    activity: int,
    element_id: str,
    node: Node | None,
    engine_status: str,
    variables: Mapping[str, Any],
    outbox: effects.Outbox | None = None,
) -> Task:
    """A row for a new engine work item: routed to its role, assigned by the task's strategy."""
    extensions = node.extensions if node is not None else {}
    from rules.runtime import assignment_extensions  # an itn:assignmentRule's role/assignee

    extensions = {
        **extensions,
        **assignment_extensions(instance=instance, node=node, variables=variables),
    }
    role = (
        Role.objects.filter(key=extensions.get("role", "")).first()
        if extensions.get("role")
        else None
    )
    explicit = _evaluated_assignee(extensions.get("assignee"), variables)
    strategy = extensions.get("assignment") or ("user" if explicit else None)
    try:
        assignee = choose_assignee(role=role, strategy=strategy, explicit_username=explicit)
    except ApplicationError:
        assignee = choose_assignee(role=role, strategy=None)
    other = extensions.get("notSameAs")
    if assignee is not None and other and has_completed(instance, other, assignee):
        assignee = None  # separation of duties: offer it to the role instead
    try:
        schema = form_schema(node.form) if node is not None and node.form else {}
    except ApplicationError:
        schema = {}
    if engine_status == "withheld":
        status = TaskStatus.WAITING
    elif engine_status == "started":
        status = TaskStatus.STARTED
    else:
        status = TaskStatus.CLAIMED if assignee is not None else TaskStatus.OFFERED
    now = timezone.now()
    sla_fields = sla.task_sla_fields(instance=instance, node=node, role=role, now=now)
    task = Task(
        instance=instance,
        activity=activity,
        element_id=element_id,
        name=(node.name if node is not None and node.name else element_id),
        status=status,
        role=role,
        assignee=assignee,
        priority=_priority(extensions.get("priority")),
        due_at=_due(extensions.get("dueIn")) or sla_fields.get("sla_deadline"),
        form_schema=schema,
        claimed_at=now if assignee is not None else None,
        separation_from=other or "",
        **sla_fields,
    )
    statements.insert([task])
    _audit_task(
        "task.offered", None, task, after={**_task_state(task), "role": role.key if role else None}
    )
    _broadcast_task(task, "created", outbox)
    return task


def _broadcast_task(task: Task, change: str, outbox: effects.Outbox | None = None) -> None:
    event = {
        "kind": "task",
        "change": change,
        "task": task.pk,
        "instance": task.instance_id,
        "status": task.status,
        "assignee": task.assignee_id,
    }
    send = outbox.broadcast if outbox is not None else effects.broadcast_on_commit
    if task.assignee_id is not None:
        send(f"user.{task.assignee_id}", event)
    if task.role_id is not None:
        send(f"role.{task.role_id}", event)


def task_follow_engine(
    *, task: Task, engine_status: str, actor: Any = None, outbox: effects.Outbox | None = None
) -> None:
    """Mirror a change the engine made to an item (withheld, offered again, started); a start
    is audited, the rest is the engine's bookkeeping."""
    before = _task_state(task)
    if engine_status == "withheld" and task.status in (TaskStatus.OFFERED, TaskStatus.CLAIMED):
        task.status = TaskStatus.WAITING
    elif engine_status == "open" and task.status == TaskStatus.WAITING:
        task.status = TaskStatus.CLAIMED if task.assignee_id else TaskStatus.OFFERED
    elif engine_status == "started" and task.status != TaskStatus.STARTED:
        task.status = TaskStatus.STARTED
        task.started_at = task.started_at or timezone.now()
    else:
        return
    task.lock_version += 1
    task.save(update_fields=["status", "started_at", "lock_version"])
    if task.status == TaskStatus.STARTED:
        _audit_task("task.started", actor, task, before=before, after=_task_state(task))
    _broadcast_task(task, "status", outbox)


#: What a completion writes (the claim of whoever completes an offered task included).
COMPLETION_FIELDS = (
    "status",
    "completed_at",
    "completed_by",
    "data",
    "lock_version",
    "assignee",
    "claimed_at",
)


def task_mark_completed(
    *, task: Task, actor: Any, data: Mapping[str, Any], outbox: effects.Outbox | None = None
) -> None:
    """Write the completion (with the claim the completing actor made, if any) in one update,
    refused if the row changed since ``task`` was read."""
    TASK_TRANSITIONS.check(task.status, TaskStatus.COMPLETED)
    before = _task_state(task)
    read_version = task.lock_version
    task.status = TaskStatus.COMPLETED
    task.completed_at = timezone.now()
    task.completed_by = actor if getattr(actor, "is_authenticated", False) else None
    task.data = dict(data)
    task.lock_version += 1
    changed = statements.update(
        task,
        COMPLETION_FIELDS,
        expected={"lock_version": read_version},
    )
    if not changed:
        raise ConflictError(
            "stale_task", "The task changed meanwhile; reload it and try again.", field="task"
        )
    _audit_task(
        "task.completed", actor, task, before=before, after={**_task_state(task), "data": task.data}
    )
    _broadcast_task(task, "completed", outbox)


def task_mark_withdrawn(
    *, task: Task, actor: Any = None, outbox: effects.Outbox | None = None
) -> None:
    before = _task_state(task)
    task.status = TaskStatus.WITHDRAWN
    task.lock_version += 1
    task.save(update_fields=["status", "lock_version"])
    _audit_task("task.withdrawn", actor, task, before=before, after=_task_state(task))
    _broadcast_task(task, "withdrawn", outbox)


def _refuse(code: str, message: str, field: str = "task") -> ApplicationError:
    return ConflictError(code, message, field=field)


def _check_live(task: Task) -> None:
    if task.status not in OPEN_TASK_STATUSES:
        raise _refuse("task_not_open", f"The task is {task.status}.", "status")


def _check_separation(task: Task, user: Any) -> None:
    node_other = task.separation_from
    if node_other and has_completed(task.instance, node_other, user):
        raise ApplicationError(
            "separation_of_duties",
            f"You completed {node_other} of this case, so someone else must do this task.",
            field="assignee",
        )


def _save(task: Task, fields: list[str], change: str) -> Task:
    task.lock_version += 1
    task.save(update_fields=[*fields, "lock_version"])
    _broadcast_task(task, change)
    return task


@audit.audit_batched
def task_claim(*, actor: Any, task: Task) -> Task:
    """Take an offered task (a member of its role)."""
    _check_live(task)
    if task.assignee_id == actor.pk:
        return task
    if task.status != TaskStatus.OFFERED or task.assignee_id is not None:
        raise _refuse("already_claimed", "Someone else has this task.", "assignee")
    if not is_candidate(task, actor):
        raise _refuse("not_a_candidate", "The task is not offered to you.", "assignee")
    _check_separation(task, actor)
    before = _task_state(task)
    task.assignee = actor
    task.status = TaskStatus.CLAIMED
    task.claimed_at = timezone.now()
    _record_task(task, actor, "claimed", before=before)
    return _save(task, ["assignee", "status", "claimed_at"], "claimed")


@audit.audit_batched
def task_unclaim(*, actor: Any, task: Task) -> Task:
    """Give a claimed (not started) task back to its role."""
    _check_live(task)
    if task.assignee_id != actor.pk and not is_manager(task, actor):
        raise _refuse("not_yours", "Only the assignee or a manager can give the task back.")
    if task.status != TaskStatus.CLAIMED:
        raise _refuse("illegal_transition", f"A {task.status} task cannot be given back.", "status")
    before = _task_state(task)
    task.assignee = None
    task.status = TaskStatus.OFFERED
    task.claimed_at = None
    _record_task(task, actor, "unclaimed", before=before)
    return _save(task, ["assignee", "status", "claimed_at"], "unclaimed")


def _check_may_take(task: Task, actor: Any) -> None:
    """The actor has the task, or may take it because it is offered to them."""
    if task.assignee_id is None:
        if not is_candidate(task, actor):
            raise _refuse("not_a_candidate", "The task is not offered to you.", "assignee")
    elif task.assignee_id != actor.pk:
        raise _refuse("not_yours", "The task is assigned to someone else.", "assignee")
    _check_separation(task, actor)


def _take_if_offered(task: Task, actor: Any, *, save: bool = True) -> None:
    """Claim an offered task for the actor (checked with ``_check_may_take`` first); with
    ``save=False`` the claim is written with the change that follows."""
    if task.assignee_id is None:
        task.assignee = actor
        task.claimed_at = timezone.now()
        if save:
            task.save(update_fields=["assignee", "claimed_at"])


@audit.audit_batched
def task_start(*, actor: Any, task: Task) -> Task:
    """Start working on the task (claims it first if it is offered)."""
    from processes import services as process_services

    _check_live(task)
    if task.status == TaskStatus.STARTED:
        raise _refuse("already_started", "The task is already started.", "status")
    _check_may_take(task, actor)
    _take_if_offered(task, actor)
    process_services.instance_task_event(
        actor=actor, task=task, event={"start": task.element_id, "item": task.activity}
    )
    task.refresh_from_db()
    return task


@telemetry.traced("task.complete")
def task_complete(*, actor: Any, task: Task, data: Any) -> Task:
    """Complete the task with the data of its form (validated against the form schema).

    A caller that fetched the task with ``access_task(for_update=True)`` owns the transaction
    (it holds the instance lock): a refusal ends that transaction, so no savepoint is taken for
    it. Otherwise the completion is a savepoint the caller may recover from.
    """
    from processes import services as process_services

    owned = process_services.holds_instance_lock(task)
    with transaction.atomic(savepoint=not owned), audit.audit_batch():
        _check_live(task)
        _check_may_take(task, actor)
        cleaned = (
            validate_submission(task.form_schema, data) if task.form_schema else _as_dict(data)
        )
        _take_if_offered(task, actor, save=False)  # written with the completion
        process_services.instance_task_event(
            actor=actor,
            task=task,
            event={"complete": task.element_id, "item": task.activity, "data": cleaned},
            completion=cleaned,
        )
        if task.status != TaskStatus.COMPLETED:  # the engine kept the item: keep the claim
            task.save(update_fields=["assignee", "claimed_at"])
    telemetry.task_completed(task)
    return task


def _as_dict(data: Any) -> dict[str, Any]:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ApplicationError("invalid_data", "Task data must be an object.", field="data")
    return data


def _user_by_id(user_id: Any, field: str) -> Any:
    user = (
        get_user_model().objects.filter(pk=user_id, is_active=True).first()
        if isinstance(user_id, int)
        else None
    )
    if user is None:
        raise ApplicationError("unknown_user", "There is no such active user.", field=field)
    return user


def _reason(reason: Any) -> str:
    if not isinstance(reason, str) or not reason.strip():
        raise ApplicationError("required", "Give a reason.", field="reason")
    return reason.strip()[:2000]


@audit.audit_batched
def task_reassign(*, actor: Any, task: Task, user_id: Any, reason: Any) -> Task:
    """A manager gives the task to someone (a member of its role)."""
    _check_live(task)
    why = _reason(reason)
    if not is_manager(task, actor):
        raise _refuse("not_manager", "Only a manager of the role can reassign this task.")
    user = _user_by_id(user_id, "user")
    if not is_candidate(task, user):
        raise ApplicationError(
            "not_a_candidate", "That user is not in the task's role.", field="user"
        )
    _check_separation(task, user)
    before = _task_state(task)
    previous = task.assignee_id
    task.assignee = user
    task.claimed_at = timezone.now()
    if task.status == TaskStatus.OFFERED:
        task.status = TaskStatus.CLAIMED
    _record_task(
        task,
        actor,
        "reassigned",
        {"from": previous, "to": user.pk, "reason": why},
        before=before,
        reason=why,
    )
    if previous is not None:
        effects.broadcast_on_commit(
            f"user.{previous}", {"kind": "task", "change": "reassigned", "task": task.pk}
        )
    return _save(task, ["assignee", "claimed_at", "status"], "reassigned")


@audit.audit_batched
def task_delegate(*, actor: Any, task: Task, user_id: Any, reason: Any) -> Task:
    """The assignee hands the task to another person, saying why."""
    _check_live(task)
    why = _reason(reason)
    if task.assignee_id != actor.pk:
        raise _refuse("not_yours", "Only the assignee can delegate the task.")
    user = _user_by_id(user_id, "user")
    if user.pk == actor.pk:
        raise ApplicationError("invalid", "Delegate to someone else.", field="user")
    _check_separation(task, user)
    before = _task_state(task)
    task.assignee = user
    task.delegated_by = actor
    task.claimed_at = timezone.now()
    _record_task(
        task, actor, "delegated", {"to": user.pk, "reason": why}, before=before, reason=why
    )
    effects.broadcast_on_commit(
        f"user.{actor.pk}", {"kind": "task", "change": "delegated", "task": task.pk}
    )
    return _save(task, ["assignee", "delegated_by", "claimed_at"], "delegated")


@audit.audit_batched
def task_escalate(*, actor: Any, task: Task, reason: Any) -> Task:
    """Hand the task to the manager of its role and raise its priority."""
    _check_live(task)
    why = _reason(reason)
    if task.assignee_id != actor.pk and not is_manager(task, actor):
        raise _refuse("not_yours", "Only the assignee or a manager can escalate this task.")
    manager = task.role.manager if task.role is not None else None
    if manager is None:
        raise _refuse("no_manager", "The task's role has no manager to escalate to.", "role")
    before = _task_state(task)
    previous = task.assignee_id
    task.assignee = manager
    task.escalated_at = timezone.now()
    task.priority = min(100, task.priority + 25)
    if task.status == TaskStatus.OFFERED:
        task.status = TaskStatus.CLAIMED
    _record_task(
        task,
        actor,
        "escalated",
        {"from": previous, "to": manager.pk, "reason": why},
        before=before,
        reason=why,
    )
    return _save(task, ["assignee", "escalated_at", "priority", "status"], "escalated")


@audit.audit_batched
def task_comment(*, actor: Any, task: Task, text: Any) -> TaskComment:
    if not isinstance(text, str) or not text.strip():
        raise ApplicationError("required", "A comment needs text.", field="text")
    if len(text) > 10_000:
        raise ApplicationError("too_long", "Comments are at most 10,000 characters.", field="text")
    comment = TaskComment.objects.create(task=task, author=actor, text=text.strip())
    _record_task(
        task,
        actor,
        "commented",
        {"comment": comment.pk},
        before={},
        after={"comment": comment.text},
    )
    _broadcast_task(task, "commented")
    return comment


def _record_task(
    task: Task,
    actor: Any,
    kind: str,
    detail: dict[str, Any] | None = None,
    *,
    before: dict[str, Any],
    after: dict[str, Any] | None = None,
    reason: str = "",
) -> None:
    """Add a task action to its instance's history and to the audit trail (``task.<kind>``,
    ``before`` the task's state before the action, ``after`` by default its state now)."""
    from processes.models import InstanceEvent

    InstanceEvent.objects.create(
        instance_id=task.instance_id,
        actor=actor,
        kind=f"task_{kind}",
        element_id=task.element_id,
        detail={"task": task.pk, **(detail or {})},
    )
    _audit_task(
        f"task.{kind}",
        actor,
        task,
        before=before,
        after=_task_state(task) if after is None else after,
        reason=reason,
    )


def _task_state(task: Task) -> dict[str, Any]:
    """The fields of a task its audit events show before and after a change."""
    assignee = task.assignee.get_username() if task.assignee is not None else None
    return {"status": task.status, "assignee": assignee, "priority": task.priority}


def _audit_task(
    type: str,
    actor: Any,
    task: Task,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
) -> None:
    audit.audit_record(
        type=type,
        actor=actor,
        object_type="task",
        object_id=task.pk,
        instance_id=task.instance_id,
        journey_id=task.instance.version.journey_id,
        element_id=task.element_id,
        before=before,
        after=after,
        reason=reason,
    )


#: The inbox query parameters a saved filter keeps (paging is not part of a filter).
SAVED_FILTER_KEYS = ("scope", "journey", "priority_min", "due", "q", "sort")
MAX_SAVED_FILTERS = 30


def saved_filter_query(query: Any) -> str:
    """The canonical query string of a saved filter: known keys only, empty values dropped."""
    if not isinstance(query, str) or len(query) > 1000:
        raise ApplicationError("invalid", "The filter is not a valid inbox query.", field="query")
    given = QueryDict(query.lstrip("?"))
    kept = QueryDict(mutable=True)
    for key in SAVED_FILTER_KEYS:
        value = given.get(key, "")
        if value:
            kept[key] = value
    return kept.urlencode()


@audit.audit_batched
def saved_filter_save(*, user: Any, name: Any, query: Any) -> SavedFilter:
    """Keep the inbox filter ``query`` under ``name`` for ``user``; the same name replaces it."""
    label = name.strip() if isinstance(name, str) else ""
    if not label:
        raise ApplicationError("required", "Give the filter a name.", field="name")
    if len(label) > 80:
        raise ApplicationError("too_long", "Keep the name under 80 characters.", field="name")
    kept = saved_filter_query(query)
    existing = SavedFilter.objects.select_for_update().filter(user=user, name=label).first()
    if existing is not None:
        existing.query = kept
        existing.save(update_fields=["query"])
        return existing
    if SavedFilter.objects.filter(user=user).count() >= MAX_SAVED_FILTERS:
        raise ApplicationError(
            "too_many_filters",
            f"You can keep at most {MAX_SAVED_FILTERS} filters; delete one first.",
            field="name",
        )
    return SavedFilter.objects.create(user=user, name=label, query=kept)


@audit.audit_batched
def saved_filter_delete(*, user: Any, saved_filter_id: int) -> None:
    """Forget one of ``user``'s saved filters (another user's is not found)."""
    deleted, _ = SavedFilter.objects.filter(user=user, pk=saved_filter_id).delete()
    if not deleted:
        raise NotFoundError("not_found", "No such saved filter.", field="filter")
