"""Permission-checked fetches of tasks: another user's task is the same 404 as a missing one (and
a denied access in the audit trail)."""

from __future__ import annotations

import functools
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import Http404

from monitoring.services import audit_access_denied
from tasks import selectors
from tasks.models import Role, Task
from workflow_site import statements


def access_task(*, user: Any, task_id: int, for_update: bool = False) -> Task:
    """The task if ``user`` may see it. ``for_update`` locks its instance row, then the task row.

    With ``for_update`` the visibility check is a subquery of the locking statement: one round
    trip finds, checks, locks and reads both rows.
    """
    visible = selectors.tasks_visible_to(user=user).filter(pk=task_id).order_by()
    if for_update:
        task = _task_locked(task_id, visible.values("pk"))
        if task is None:
            _task_denied(user, task_id)
            raise Http404("No such task.")
        return task
    found = visible.select_related("role", "instance__version__journey", "assignee").first()
    if found is None:
        _task_denied(user, task_id)
        raise Http404("No such task.")
    return found


@functools.cache
def _task_columns() -> tuple[statements.Columns, statements.Columns, statements.Columns]:
    return (
        statements.Columns(Task),
        statements.Columns(Role),
        statements.Columns(get_user_model()),
    )


def _task_locked(task_id: int, visible: QuerySet[Any]) -> Task | None:
    """Lock the task's instance row, then the task row, if ``visible`` (the user's visible tasks
    with this id) finds it, and read them: the task with its role, assignee and instance (with
    its version and journey). One statement: PostgreSQL locks the rows in the order named."""
    from processes import selectors as process_selectors
    from processes.services import remember_lock

    instance_rows = process_selectors.instance_rows()
    task_columns, role_columns, user_columns = _task_columns()
    tasks, roles, users = task_columns.table, role_columns.table, user_columns.table
    checked, params = visible.query.sql_with_params()
    row = statements.fetch_one(
        f"SELECT {instance_rows.columns}, {task_columns.sql}, {role_columns.sql}, "  # noqa: S608 - names from the models
        f"{user_columns.sql} FROM {instance_rows.tables} "
        f'INNER JOIN {tasks} ON {tasks}."instance_id" = {instance_rows.instance.table}."id" '
        f'LEFT OUTER JOIN {roles} ON {roles}."id" = {tasks}."role_id" '
        f'LEFT OUTER JOIN {users} ON {users}."id" = {tasks}."assignee_id" '
        f'WHERE {tasks}."id" = %s AND {tasks}."id" IN ({checked})'
        + statements.for_update(instance_rows.instance, task_columns),
        (task_id, *params),
    )
    if row is None:
        return None
    start = instance_rows.width
    task: Task = task_columns.read(row, start)
    Task.role.field.set_cached_value(task, role_columns.read(row, start + len(task_columns)))
    Task.assignee.field.set_cached_value(
        task, user_columns.read(row, start + len(task_columns) + len(role_columns))
    )
    # Locked and read in this transaction: the services use it as is.
    task.instance = remember_lock(instance_rows.read(row))
    return task


def _task_denied(user: Any, task_id: int) -> None:
    """Audit the 404 when the task exists (the user may not see it)."""
    found = Task.objects.filter(pk=task_id).values("instance_id", "instance__version__journey_id")
    row = found.first()
    if row is not None:
        audit_access_denied(
            user=user,
            object_type="task",
            object_id=task_id,
            instance_id=row["instance_id"],
            journey_id=row["instance__version__journey_id"],
        )
