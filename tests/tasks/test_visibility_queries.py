"""The inbox reads written for speed (subqueries, no DISTINCT, each tab on its own condition)
keep the visibility rules: checked against the rules spelled out in Python, for every user of a
mixed set of tasks."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tasks import selectors
from tasks.models import OPEN_TASK_STATUSES, Task, TaskStatus
from tests.factories import ProcessInstanceFactory, RoleFactory, TaskFactory, UserFactory

pytestmark = pytest.mark.django_db


def _visible(task: Task, user: Any) -> bool:
    """The rules of ``tasks_visible_to``, one task at a time."""
    role = task.role
    return (
        task.assignee_id == user.pk
        or task.completed_by_id == user.pk
        or (role is not None and role.manager_id == user.pk)
        or (
            task.assignee_id is None
            and task.status == TaskStatus.OFFERED
            and role is not None
            and user.groups.filter(pk=role.group_id).exists()
        )
    )


@pytest.fixture
def world() -> dict[str, Any]:
    """Two roles (one user in both, one managing one of them), and tasks in every state."""
    ana, bo, cy, manager, outsider = (
        UserFactory(username=name) for name in ("ana", "bo", "cy", "manager", "outsider")
    )
    clerks = RoleFactory(key="clerks", manager=manager)
    auditors = RoleFactory(key="auditors")
    for user in (ana, bo, manager):
        user.groups.add(clerks.group)
    for user in (ana, cy):
        user.groups.add(auditors.group)
    instance = ProcessInstanceFactory()
    people = (None, ana, bo, cy, manager, outsider)
    roles = (None, clerks, auditors)
    priorities = itertools.cycle((10, 50, 90, 50))
    for role, assignee, status in itertools.product(roles, people, TaskStatus.values):
        completed = status == TaskStatus.COMPLETED
        TaskFactory(
            instance=instance,
            role=role,
            assignee=assignee,
            status=status,
            priority=next(priorities),
            completed_by=assignee if completed else None,
        )
    # Completed by someone other than its assignee (delegated, then done by a manager).
    TaskFactory(
        instance=instance, role=clerks, assignee=bo, completed_by=manager, status="completed"
    )
    return {"users": [ana, bo, cy, manager, outsider], "tasks": list(Task.objects.all())}


def test_tasks_visible_to_follows_the_rules(world: dict[str, Any]) -> None:
    for user in world["users"]:
        expected = {task.pk for task in world["tasks"] if _visible(task, user)}
        rows = list(selectors.tasks_visible_to(user=user).values_list("pk", flat=True))
        assert len(rows) == len(set(rows)), f"{user}: a task listed twice"
        assert set(rows) == expected, user.username
        assert selectors.tasks_visible_to(user=user).count() == len(expected)


def test_each_inbox_tab_is_the_visible_tasks_of_that_tab(world: dict[str, Any]) -> None:
    def tab(user: Any, scope: str, task: Task) -> bool:
        if scope == "mine":
            return task.assignee_id == user.pk and task.status in OPEN_TASK_STATUSES
        if scope == "offered":
            return (
                task.assignee_id is None
                and task.status == TaskStatus.OFFERED
                and task.role is not None
                and user.groups.filter(pk=task.role.group_id).exists()
            )
        if scope == "done":
            return task.completed_by_id == user.pk and task.status == TaskStatus.COMPLETED
        return task.status in OPEN_TASK_STATUSES  # all

    for user, scope in itertools.product(world["users"], ("mine", "offered", "done", "all")):
        expected = [
            task.pk for task in world["tasks"] if _visible(task, user) and tab(user, scope, task)
        ]
        rows = list(selectors.inbox(user=user, scope=scope).values_list("pk", flat=True))
        assert sorted(rows) == sorted(expected), (user.username, scope)
        assert selectors.inbox(user=user, scope=scope).count() == len(expected)
        # Default order: highest priority first, then oldest, then id.
        ordered = sorted(
            (task for task in world["tasks"] if task.pk in set(expected)),
            key=lambda task: (-task.priority, task.created_at, task.pk),
        )
        assert rows == [task.pk for task in ordered], (user.username, scope)


def test_badge_counts_match_the_tabs(world: dict[str, Any]) -> None:
    for user in world["users"]:
        stats = selectors.task_stats(user=user)
        assert stats["mine"] == selectors.inbox(user=user, scope="mine").count()
        assert stats["offered"] == selectors.inbox(user=user, scope="offered").count()
        assert stats["done"] == sum(task.completed_by_id == user.pk for task in world["tasks"])


def test_inactive_and_anonymous_users_see_nothing(world: dict[str, Any]) -> None:
    from django.contrib.auth.models import AnonymousUser

    ana = world["users"][0]
    ana.is_active = False
    ana.save(update_fields=["is_active"])
    for who in (ana, AnonymousUser()):
        assert not selectors.tasks_visible_to(user=who).exists()
        for scope in ("mine", "offered", "done", "all"):
            assert not selectors.inbox(user=who, scope=scope).exists()
        assert selectors.task_stats(user=who) == {"mine": 0, "offered": 0, "done": 0, "overdue": 0}


def test_the_visibility_check_has_no_distinct_and_no_join(world: dict[str, Any]) -> None:
    ana = world["users"][0]
    with CaptureQueriesContext(connection) as queries:
        list(selectors.tasks_visible_to(user=ana))
    sql = queries.captured_queries[-1]["sql"]  # the earlier ones read ana's permissions
    assert sql.startswith('SELECT "tasks_task"."id"')
    assert "DISTINCT" not in sql
    assert " JOIN " not in sql.split(" WHERE ", 1)[0]
