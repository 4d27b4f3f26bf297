"""The completion path's hand-built statements write and read exactly what the ORM would."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import connection, transaction
from django.forms.models import model_to_dict

from processes import services
from processes.models import InstanceEvent, ProcessInstance
from tasks.access import access_task
from tasks.models import Role, Task, TaskStatus
from tests.factories import RoleFactory, UserFactory
from tests.processes.test_completion_path import SEQUENCE
from tests.processes.test_instances import published
from workflow_site import statements

pytestmark = pytest.mark.django_db


@pytest.fixture
def instance() -> ProcessInstance:
    admin = UserFactory(is_superuser=True)
    return services.instance_start(
        actor=admin, journey=published(admin, "three", SEQUENCE), data={"amount": 12.5}
    )


def _columns(obj: Any) -> dict[str, Any]:
    return {field.attname: getattr(obj, field.attname) for field in obj._meta.concrete_fields}


def test_insert_writes_every_column_as_the_orm_reads_it_back(instance: ProcessInstance) -> None:
    role = Role.objects.get(pk=RoleFactory().pk)
    due = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    made = [
        Task(
            instance=instance,
            activity=100 + number,
            element_id=f"x{number}",
            name="Ünïcode name",
            role=role,
            priority=70,
            due_at=due,
            form_schema={"fields": [{"name": "note", "type": "text"}]},
            data={"nested": {"list": [1, 2.5, None, "s"]}},
        )
        for number in range(3)
    ]
    statements.insert(made)
    assert all(task.pk is not None and not task._state.adding for task in made)
    assert len({task.pk for task in made}) == 3
    for task in made:
        assert _columns(Task.objects.get(pk=task.pk)) == _columns(task)


def test_insert_keeps_a_given_key_and_reads_none_back() -> None:
    from monitoring.models import AuditEvent

    event = AuditEvent(
        seq=987_654,
        at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        actor_label="someone",
        type="test.event",
        before={"a": 1},
        after={"a": 2},
        prev_hash="0" * 64,
        hash="1" * 64,
    )
    statements.insert([event])
    stored = AuditEvent.objects.get(seq=987_654)
    assert (stored.before, stored.after, stored.at) == ({"a": 1}, {"a": 2}, event.at)


def test_update_writes_only_the_named_fields_and_honours_the_expected_values(
    instance: ProcessInstance,
) -> None:
    task = instance.tasks.get()
    task.name = "not written"
    task.status, task.data = TaskStatus.COMPLETED, {"ok": True}
    assert statements.update(task, ("status", "data"), expected={"lock_version": 5}) == 0
    assert Task.objects.get(pk=task.pk).status == TaskStatus.OFFERED  # refused: stale
    assert statements.update(task, ("status", "data"), expected={"lock_version": 0}) == 1
    stored = Task.objects.get(pk=task.pk)
    assert (stored.status, stored.data, stored.name) == (TaskStatus.COMPLETED, {"ok": True}, "A")


def test_the_locked_reads_match_the_orm(instance: ProcessInstance) -> None:
    admin = instance.started_by
    Task.objects.filter(instance=instance).update(assignee=admin)
    first = Task.objects.select_related("role", "assignee").get(instance=instance)
    with transaction.atomic():
        task = access_task(user=admin, task_id=first.pk, for_update=True)
        locked = services.instance_locked(instance.pk)
    expected = ProcessInstance.objects.select_related("version__journey").get(pk=instance.pk)
    assert _columns(locked) == _columns(expected)
    assert model_to_dict(locked.version.journey) == model_to_dict(expected.version.journey)
    assert locked.version.get_deferred_fields() == {"bpmn_xml"}
    assert locked.version.bpmn_xml == expected.version.bpmn_xml  # read when asked for
    assert _columns(task) == _columns(first)
    assert task.assignee == admin
    assert Task.role.is_cached(task)
    assert task.role is None
    assert locked.data == {"amount": 12.5}
    assert isinstance(locked.started_at, datetime)


def test_a_missing_instance_is_does_not_exist() -> None:
    with transaction.atomic(), pytest.raises(ProcessInstance.DoesNotExist):
        services.instance_locked(10**9)


def test_the_lock_clause_follows_the_database() -> None:
    columns = statements.Columns(InstanceEvent)
    clause = statements.for_update(columns)
    if connection.vendor == "postgresql":
        assert clause == ' FOR UPDATE OF "processes_instanceevent"'
    else:
        assert clause == ""
