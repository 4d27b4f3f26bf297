"""Permission-checked fetches of tasks: another user's task is the same 404 as a missing one (and
a denied access in the audit trail)."""

from __future__ import annotations

from typing import Any

from django.http import Http404

from monitoring.services import audit_access_denied
from tasks import selectors
from tasks.models import Task


def access_task(*, user: Any, task_id: int, for_update: bool = False) -> Task:
    """The task if ``user`` may see it. ``for_update`` locks its instance row, then the task row."""
    visible = selectors.tasks_visible_to(user=user).filter(pk=task_id).order_by()
    instance_id = visible.values_list("instance_id", flat=True).first()
    if instance_id is None:
        _task_denied(user, task_id)
        raise Http404("No such task.")
    if for_update:
        from processes.services import instance_locked

        instance = instance_locked(instance_id)
        task = (
            Task.objects.select_for_update(of=("self",))
            .select_related("role", "assignee")
            .get(pk=task_id)
        )
        task.instance = instance  # locked and read in this transaction: services use it as is
        return task
    return Task.objects.select_related("role", "instance__version__journey", "assignee").get(
        pk=task_id
    )


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
