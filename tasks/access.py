"""Permission-checked fetches of tasks: another user's task is the same 404 as a missing one."""

from __future__ import annotations

from typing import Any

from django.http import Http404

from processes.models import ProcessInstance
from tasks import selectors
from tasks.models import Task


def access_task(*, user: Any, task_id: int, for_update: bool = False) -> Task:
    """The task if ``user`` may see it. ``for_update`` locks its instance row, then the task row."""
    visible = selectors.tasks_visible_to(user=user).filter(pk=task_id)
    instance_id = visible.values_list("instance_id", flat=True).first()
    if instance_id is None:
        raise Http404("No such task.")
    if for_update:
        ProcessInstance.objects.select_for_update(of=("self",)).filter(pk=instance_id).first()
        return (
            Task.objects.select_for_update(of=("self",))
            .select_related("role", "instance__version__journey", "assignee")
            .get(pk=task_id)
        )
    return Task.objects.select_related("role", "instance__version__journey", "assignee").get(
        pk=task_id
    )
