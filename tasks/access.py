"""Permission-checked fetches of tasks: another user's task is the same 404 as a missing one (and
a denied access in the audit trail)."""

from __future__ import annotations

from typing import Any

from django.db.models import Subquery
from django.http import Http404

from monitoring.services import audit_access_denied
from processes.models import ProcessInstance
from tasks import selectors
from tasks.models import Task


def access_task(*, user: Any, task_id: int, for_update: bool = False) -> Task:
    """The task if ``user`` may see it. ``for_update`` locks its instance row, then the task row.

    With ``for_update`` the visibility check is a subquery of the instance lock's statement: one
    round trip finds, checks and locks.
    """
    visible = selectors.tasks_visible_to(user=user).filter(pk=task_id).order_by()
    if for_update:
        from processes.services import instance_locked

        try:
            instance = instance_locked(Subquery(visible.values("instance_id")[:1]))
        except ProcessInstance.DoesNotExist:
            _task_denied(user, task_id)
            raise Http404("No such task.") from None
        task = (
            Task.objects.select_for_update(of=("self",))
            .select_related("role", "assignee")
            .get(pk=task_id)
        )
        task.instance = instance  # locked and read in this transaction: services use it as is
        return task
    found = visible.select_related("role", "instance__version__journey", "assignee").first()
    if found is None:
        _task_denied(user, task_id)
        raise Http404("No such task.")
    return found


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
