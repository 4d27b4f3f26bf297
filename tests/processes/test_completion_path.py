"""The completion path's statements: what one completion reads and writes, and what it may skip.

These are counts, not timings: each statement is a round trip to the database on every
completion, so a new one on this path should be a decision, not an accident.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from processes import services
from tasks import services as task_services
from tasks.access import access_task
from tasks.models import TaskStatus
from tests.factories import UserFactory
from tests.processes.test_instances import published

pytestmark = pytest.mark.django_db

SEQUENCE = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <process id="p" isExecutable="true">
    <startEvent id="s" />
    <sequenceFlow id="f0" sourceRef="s" targetRef="a" />
    <userTask id="a" name="A" />
    <sequenceFlow id="f1" sourceRef="a" targetRef="b" />
    <userTask id="b" name="B" />
    <sequenceFlow id="f2" sourceRef="b" targetRef="c" />
    <userTask id="c" name="C" />
    <sequenceFlow id="f3" sourceRef="c" targetRef="e" />
    <endEvent id="e" />
  </process>
</definitions>
"""


@pytest.fixture
def admin() -> Any:
    return UserFactory(is_superuser=True)


def statements(queries: CaptureQueriesContext, prefix: str) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if q["sql"].startswith(prefix)]


def test_a_completion_reads_the_instance_once_and_writes_each_row_once(admin: Any) -> None:
    instance = services.instance_start(actor=admin, journey=published(admin, "three", SEQUENCE))
    first = instance.tasks.get()
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        task = access_task(user=admin, task_id=first.pk, for_update=True)
        task_services.task_complete(actor=admin, task=task, data={"note": "ok"})
    instance_reads = statements(queries, 'SELECT "processes_processinstance"')
    # One statement checks the task is visible, locks the instance row then the task row, and
    # reads both; the engine step reuses them.
    assert len(instance_reads) == 1
    assert 'FOR UPDATE OF "processes_processinstance", "tasks_task"' in instance_reads[0] or (
        not connection.features.has_select_for_update_of
    )
    assert len(statements(queries, 'UPDATE "tasks_task"')) == 1  # claim and completion together
    assert len(statements(queries, 'INSERT INTO "tasks_task"')) == 1  # the next task
    assert len(statements(queries, 'INSERT INTO "monitoring_auditevent"')) == 1  # one batch
    assert not statements(queries, 'SELECT "auth_user"')
    # The caller's block is the unit of work: its own savepoint (inside the test's transaction)
    # is the only one; the completion takes none.
    assert len(statements(queries, "SAVEPOINT")) == 1
    # No other task row is read: the engine's items before and after the step say what moved.
    assert not statements(queries, 'SELECT "tasks_task"')
    assert len(queries.captured_queries) <= 12, [q["sql"][:80] for q in queries.captured_queries]
    first.refresh_from_db()
    assert (first.status, first.assignee, first.data) == (
        TaskStatus.COMPLETED,
        admin,
        {"note": "ok"},
    )
    assert instance.tasks.exclude(pk=first.pk).get().element_id == "b"


def test_a_task_read_without_the_lock_is_completed_with_the_lock_taken_then(admin: Any) -> None:
    instance = services.instance_start(actor=admin, journey=published(admin, "three", SEQUENCE))
    task = instance.tasks.get()
    with CaptureQueriesContext(connection) as queries:
        task_services.task_complete(actor=admin, task=task, data={})
    locks = [sql for sql in statements(queries, 'SELECT "processes_processinstance"')]
    assert len(locks) == 1
    if connection.features.has_select_for_update:
        assert "FOR UPDATE" in locks[0]


def test_a_stale_task_is_refused_rather_than_overwritten(admin: Any) -> None:
    from workflow_site.errors import ConflictError

    instance = services.instance_start(actor=admin, journey=published(admin, "three", SEQUENCE))
    stale = instance.tasks.get()
    fresh = instance.tasks.get()
    task_services.task_comment(actor=admin, task=fresh, text="seen")  # no change to the row
    fresh.priority = 90
    fresh.lock_version += 1
    fresh.save(update_fields=["priority", "lock_version"])  # someone changed it meanwhile
    with pytest.raises(ConflictError) as refused:
        task_services.task_complete(actor=admin, task=stale, data={})
    assert refused.value.code == "stale_task"
    stale.refresh_from_db()
    assert stale.status == TaskStatus.OFFERED  # not completed: the engine step rolled back too


def test_the_lock_mark_ends_with_the_savepoint_that_took_it(admin: Any) -> None:
    instance = services.instance_start(actor=admin, journey=published(admin, "three", SEQUENCE))
    with transaction.atomic():
        kept = services.instance_locked(instance.pk)
        assert services._still_locked(kept)
        try:
            with transaction.atomic():
                dropped = services.instance_locked(instance.pk)
                assert services._still_locked(dropped)
                raise RuntimeError("roll the savepoint back")
        except RuntimeError:
            pass
        assert not services._still_locked(dropped)
        assert services._still_locked(kept)
