"""Reads of roles and work items that are more than a plain get."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from tasks.models import OPEN_TASK_STATUSES, Role, Task, TaskStatus


def roles_of(*, user: Any) -> QuerySet[Role]:
    """The roles ``user`` is a member of."""
    return Role.objects.filter(group__user=user).order_by("name")


def sees_everything(user: Any) -> bool:
    """Administrators and holders of the global view permission see every task and instance."""
    return bool(
        getattr(user, "is_superuser", False)
        or (getattr(user, "is_authenticated", False) and user.has_perm("tasks.view_task"))
    )


def tasks_visible_to(*, user: Any) -> QuerySet[Task]:
    """Tasks assigned to ``user``, offered to their roles, done by them, or of roles they manage."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Task.objects.none()
    tasks = Task.objects.all()
    if sees_everything(user):
        return tasks
    return tasks.filter(
        Q(assignee=user)
        | Q(completed_by=user)
        | Q(role__manager=user)
        | Q(assignee__isnull=True, role__group__user=user, status=TaskStatus.OFFERED)
    ).distinct()


INBOX_SORTS = {
    "priority": ("-priority", "created_at", "id"),
    "-priority": ("priority", "created_at", "id"),
    "due": ("due_at", "-priority", "id"),
    "-due": ("-due_at", "-priority", "id"),
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
}


def inbox(
    *,
    user: Any,
    scope: str = "mine",
    journey: str | None = None,
    priority_min: int | None = None,
    text: str | None = None,
    sort: str = "priority",
) -> QuerySet[Task]:
    """The tasks of one inbox tab: ``mine`` (assigned, open), ``offered`` (claimable), ``done``."""
    tasks = tasks_visible_to(user=user).select_related(
        "instance__version__journey", "role", "assignee"
    )
    if scope == "mine":
        tasks = tasks.filter(assignee=user, status__in=OPEN_TASK_STATUSES)
    elif scope == "offered":
        tasks = tasks.filter(
            assignee__isnull=True, status=TaskStatus.OFFERED, role__group__user=user
        )
    elif scope == "done":
        tasks = tasks.filter(completed_by=user, status=TaskStatus.COMPLETED)
    elif scope == "all":
        tasks = tasks.filter(status__in=OPEN_TASK_STATUSES)
    if journey:
        tasks = tasks.filter(instance__version__journey__key=journey)
    if priority_min is not None:
        tasks = tasks.filter(priority__gte=priority_min)
    if text:
        tasks = tasks.filter(
            Q(name__icontains=text)
            | Q(instance__business_key__icontains=text)
            | Q(instance__data__icontains=text)
        )
    return tasks.order_by(*INBOX_SORTS.get(sort, INBOX_SORTS["priority"]))


def task_stats(*, user: Any) -> dict[str, int]:
    """Counts for the inbox badges."""
    visible = tasks_visible_to(user=user)
    return {
        "mine": visible.filter(assignee=user, status__in=OPEN_TASK_STATUSES).count(),
        "offered": visible.filter(
            assignee__isnull=True, status=TaskStatus.OFFERED, role__group__user=user
        ).count(),
        "done": visible.filter(completed_by=user).count(),
        "overdue": visible.filter(
            assignee=user, status__in=OPEN_TASK_STATUSES, due_at__lt=timezone.now()
        ).count(),
    }
