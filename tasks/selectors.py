"""Reads of roles and work items that are more than a plain get."""

from __future__ import annotations

import functools
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from processes.models import InstanceStatus
from tasks.models import OPEN_TASK_STATUSES, Role, SavedFilter, Task, TaskComment, TaskStatus
from workflow_site import statements


def roles_of(*, user: Any) -> QuerySet[Role]:
    """The roles ``user`` is a member of."""
    return Role.objects.filter(group__user=user).order_by("name")


def sees_everything(user: Any) -> bool:
    """Administrators and holders of the global view permission see every task and instance."""
    return bool(
        getattr(user, "is_superuser", False)
        or (getattr(user, "is_authenticated", False) and user.has_perm("tasks.view_task"))
    )


def _member_roles(user: Any) -> QuerySet[Role, Any]:
    """The ids of ``user``'s roles, as a subquery."""
    return Role.objects.filter(group__user=user).order_by().values("pk")


def tasks_visible_to(*, user: Any) -> QuerySet[Task]:
    """Tasks assigned to ``user``, offered to their roles, done by them, or of roles they manage.

    Each condition is on a column of the task itself (the roles are ``IN`` subqueries), so no
    join multiplies the rows: no ``DISTINCT`` over wide rows, and every branch can use an index.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return Task.objects.none()
    tasks = Task.objects.all()
    if sees_everything(user):
        return tasks
    return tasks.filter(
        Q(assignee=user)
        | Q(completed_by=user)
        | Q(role__in=Role.objects.filter(manager=user).order_by().values("pk"))
        | Q(assignee__isnull=True, status=TaskStatus.OFFERED, role__in=_member_roles(user))
    )


INBOX_SORTS = {
    "priority": ("-priority", "created_at", "id"),
    "-priority": ("priority", "created_at", "id"),
    "due": ("due_at", "-priority", "id"),
    "-due": ("-due_at", "-priority", "id"),
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
    # Most likely to miss its SLA first (monitoring.prediction); tasks without an SLA last.
    "risk": (F("sla_risk").desc(nulls_last=True), "sla_deadline", "-priority", "id"),
}


def inbox(
    *,
    user: Any,
    scope: str = "mine",
    journey: str | None = None,
    priority_min: int | None = None,
    text: str | None = None,
    due: str | None = None,
    sort: str = "priority",
) -> QuerySet[Task]:
    """The tasks of one inbox tab: ``mine`` (assigned, open), ``offered`` (claimable), ``done``.

    The condition of ``mine``, ``offered`` and ``done`` is itself one of the rules of
    ``tasks_visible_to`` (assigned to, offered to a role of, completed by the user), so those tabs
    need no other check and each is one index's range; ``all`` applies every rule.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return Task.objects.none()
    if scope == "mine":
        tasks = Task.objects.filter(assignee=user, status__in=OPEN_TASK_STATUSES)
    elif scope == "offered":
        # The role ids as values, not a subquery: the planner then knows how few they are.
        roles = list(_member_roles(user).values_list("pk", flat=True))
        tasks = Task.objects.filter(
            assignee__isnull=True, status=TaskStatus.OFFERED, role__in=roles
        )
    elif scope == "done":
        tasks = Task.objects.filter(completed_by=user, status=TaskStatus.COMPLETED)
    else:
        tasks = tasks_visible_to(user=user)
        if scope == "all":
            tasks = tasks.filter(status__in=OPEN_TASK_STATUSES)
    tasks = tasks.select_related("instance__version__journey", "role", "assignee")
    if journey:
        tasks = tasks.filter(instance__version__journey__key=journey)
    if priority_min is not None:
        tasks = tasks.filter(priority__gte=priority_min)
    if due:
        tasks = _due_within(tasks, due)
    if text:
        tasks = tasks.filter(
            Q(name__icontains=text)
            | Q(instance__business_key__icontains=text)
            | Q(instance__data__icontains=text)
        )
    return tasks.order_by(*INBOX_SORTS.get(sort, INBOX_SORTS["priority"]))


#: The inbox's due-date filter: overdue, due today (local time), due within seven days, no due date.
DUE_FILTERS = (
    ("overdue", "Overdue"),
    ("today", "Due today"),
    ("week", "Due within 7 days"),
    ("none", "No due date"),
)


def _due_within(tasks: QuerySet[Task], due: str) -> QuerySet[Task]:
    now = timezone.now()
    if due == "overdue":
        return tasks.filter(due_at__lt=now)
    if due == "today":
        midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
        return tasks.filter(due_at__gte=now, due_at__lt=midnight + timedelta(days=1))
    if due == "week":
        return tasks.filter(due_at__gte=now, due_at__lt=now + timedelta(days=7))
    if due == "none":
        return tasks.filter(due_at__isnull=True)
    return tasks


def candidates_for(*, task: Task, exclude: Any = None) -> QuerySet[Any]:
    """The active users the task may be given to: members of its role (everyone, without one)."""
    users = get_user_model().objects.filter(is_active=True)
    if task.role_id is not None:
        users = users.filter(groups__role=task.role_id)
    if exclude is not None:
        users = users.exclude(pk=exclude)
    return users.order_by("first_name", "username")


def saved_filters(*, user: Any) -> QuerySet[SavedFilter]:
    return SavedFilter.objects.filter(user=user)


def task_stats(*, user: Any) -> dict[str, int]:
    """Counts for the inbox badges (each condition is one of ``tasks_visible_to``'s rules)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return {"mine": 0, "offered": 0, "done": 0, "overdue": 0}
    mine = Task.objects.filter(assignee=user, status__in=OPEN_TASK_STATUSES)
    return {
        "mine": mine.count(),
        "offered": inbox(user=user, scope="offered").count(),
        "done": Task.objects.filter(completed_by=user).count(),
        "overdue": mine.filter(due_at__lt=timezone.now()).count(),
    }


def is_candidate(task: Task, user: Any) -> bool:
    """Whether ``user`` may be given the task: a member of its role (anyone, without a role)."""
    if task.role_id is None:
        return True
    return user.groups.filter(pk=task.role.group_id).exists() if task.role else False


def is_manager(task: Task, user: Any) -> bool:
    """Whether ``user`` manages the task: its role's manager, or an administrator."""
    return bool(
        getattr(user, "is_superuser", False)
        or (task.role is not None and task.role.manager_id == user.pk)
        or user.has_perm("tasks.change_task")
    )


def has_completed(instance: Any, element_id: str, user: Any) -> bool:
    """Whether ``user`` completed a task of ``element_id`` in the instance (for separation)."""
    return Task.objects.filter(
        instance=instance, element_id=element_id, completed_by=user, status=TaskStatus.COMPLETED
    ).exists()


def task_actions(*, task: Task, user: Any) -> list[str]:
    """What ``user`` may do with the task now: the same checks the task services make first.

    Reassigning to someone in particular, or a form that does not validate, can still be refused.
    """
    actions = []
    if task.status in OPEN_TASK_STATUSES:
        mine = task.assignee_id == user.pk
        free = task.assignee_id is None
        manager = is_manager(task, user)
        may_take = free and is_candidate(task, user)
        separated = bool(task.separation_from) and has_completed(
            task.instance, task.separation_from, user
        )
        running = task.instance.status == InstanceStatus.RUNNING
        if free and task.status == TaskStatus.OFFERED and may_take and not separated:
            actions.append("claim")
        if task.status == TaskStatus.CLAIMED and (mine or manager):
            actions.append("unclaim")
        works = (mine or may_take) and not separated and running
        if works and task.status != TaskStatus.STARTED:
            actions.append("start")
        if works:
            actions.append("complete")
        if manager:
            actions.append("reassign")
        if mine:
            actions.append("delegate")
        if (mine or manager) and task.role is not None and task.role.manager_id is not None:
            actions.append("escalate")
    actions.append("comment")
    return actions


@functools.cache
def _comments_with_authors() -> tuple[statements.WithRelated, str]:
    rows = statements.WithRelated(TaskComment, "author", deferred=("password",))
    table = rows.rows.table
    order = f'ORDER BY {table}."created_at", {table}."id"'
    return rows, f'{rows.select} WHERE {table}."task_id" = %s {order}'


def task_comments(*, task: Task) -> list[TaskComment]:
    """The task's comments, oldest first, with their authors (one statement built once: the
    task page and every task response of the API read them)."""
    rows, sql = _comments_with_authors()
    return [rows.read(row) for row in statements.fetch_all(sql, [task.pk])]
