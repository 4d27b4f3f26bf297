"""Permission-checked fetches of tasks: another user's task is the same 404 as a missing one (and
a denied access in the audit trail)."""

from __future__ import annotations

import functools
from typing import Any

from django.contrib.auth import get_user_model
from django.http import Http404

from monitoring.services import audit_access_denied
from processes.models import ProcessInstance
from tasks import selectors
from tasks.models import Role, Task
from workflow_site import statements


def access_task(*, user: Any, task_id: int, for_update: bool = False) -> Task:
    """The task if ``user`` may see it. ``for_update`` locks its instance row, then the task row.

    With ``for_update`` the visibility check is a subquery of the instance lock's statement: one
    round trip finds, checks and locks.
    """
    visible = selectors.tasks_visible_to(user=user).filter(pk=task_id).order_by()
    if for_update:
        from processes.services import instance_locked

        try:
            instance = instance_locked(visible.values("instance_id")[:1])
        except ProcessInstance.DoesNotExist:
            _task_denied(user, task_id)
            raise Http404("No such task.") from None
        task = _task_locked(task_id)
        task.instance = instance  # locked and read in this transaction: services use it as is
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


def _task_locked(task_id: int) -> Task:
    """Lock the task row and read it with its role and assignee."""
    task_columns, role_columns, user_columns = _task_columns()
    tasks, roles, users = task_columns.table, role_columns.table, user_columns.table
    row = statements.fetch_one(
        f"SELECT {task_columns.sql}, {role_columns.sql}, {user_columns.sql} FROM {tasks} "  # noqa: S608 - names from the models
        f'LEFT OUTER JOIN {roles} ON {roles}."id" = {tasks}."role_id" '
        f'LEFT OUTER JOIN {users} ON {users}."id" = {tasks}."assignee_id" '
        f'WHERE {tasks}."id" = %s{statements.for_update(task_columns)}',
        (task_id,),
    )
    if row is None:
        raise Task.DoesNotExist("No such task.")
    task: Task = task_columns.read(row)
    Task.role.field.set_cached_value(task, role_columns.read(row, len(task_columns)))
    Task.assignee.field.set_cached_value(
        task, user_columns.read(row, len(task_columns) + len(role_columns))
    )
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
