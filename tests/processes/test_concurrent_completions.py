"""Concurrent completions against the database: one winner, no lost or doubled successors.

Real threads with their own connections; a barrier makes them collide; joins time out so a
deadlock fails the test instead of hanging it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, transaction
from django.http import Http404
from guardian.shortcuts import assign_perm

from processes import services
from tasks import services as task_services
from tasks.access import access_task
from tasks.models import Task, TaskStatus
from tests.factories import RoleFactory, UserFactory
from workflow_site.errors import ApplicationError

pytestmark = pytest.mark.django_db(transaction=True)

NS = 'xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:itn="urn:itinera:bpmn:1"'


def run_together(workers: list[Callable[[], str]]) -> list[str]:
    barrier = threading.Barrier(len(workers), timeout=20)
    results: list[str] = []
    lock = threading.Lock()

    def wrap(work: Callable[[], str]) -> None:
        try:
            barrier.wait()
            outcome = work()
        except ApplicationError as error:
            outcome = f"refused:{error.code}"
        except Http404:
            outcome = "refused:not_found"
        except Exception as error:  # noqa: BLE001 - report anything else as a failure
            outcome = f"crashed:{type(error).__name__}:{error}"
        finally:
            connection.close()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=wrap, args=(work,)) for work in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
        assert not thread.is_alive(), "a completion deadlocked"
    return results


def complete_as(user: Any, task_id: int) -> Callable[[], str]:
    def work() -> str:
        with transaction.atomic():
            task = access_task(user=user, task_id=task_id, for_update=True)
            task_services.task_complete(actor=user, task=task, data={})
        return "done"

    return work


@pytest.fixture
def clerks() -> Any:
    role = RoleFactory(key="clerks")
    users = [UserFactory(username=f"clerk{i}") for i in range(10)]
    for user in users:
        user.groups.add(role.group)
    return role, users


def publish(key: str, body: str, starter: Any) -> Any:
    designer = UserFactory(username=f"designer-{key}")
    assign_perm("processes.add_journey", designer)
    xml = (
        f'<definitions {NS} id="d" targetNamespace="urn:t">'
        f'<process id="p" isExecutable="true">{body}</process></definitions>'
    )
    journey = services.journey_create(actor=designer, key=key, name=key, bpmn_xml=xml)
    services.journey_version_publish(actor=designer, version=journey.versions.get())
    assign_perm("processes.start_journey", starter, journey)
    return journey


def test_two_people_complete_the_same_task_exactly_one_wins(clerks: Any) -> None:
    role, users = clerks
    body = (
        '<startEvent id="S"/><userTask id="Check" itn:role="clerks" itn:assignment="offer"/>'
        '<userTask id="Next" itn:role="clerks" itn:assignment="offer"/><endEvent id="E"/>'
        '<sequenceFlow id="a" sourceRef="S" targetRef="Check"/>'
        '<sequenceFlow id="b" sourceRef="Check" targetRef="Next"/>'
        '<sequenceFlow id="c" sourceRef="Next" targetRef="E"/>'
    )
    journey = publish("race", body, users[0])
    instance = services.instance_start(actor=users[0], journey=journey)
    check = instance.tasks.get(element_id="Check")
    assert check.status == TaskStatus.OFFERED
    outcomes = run_together([complete_as(users[1], check.pk), complete_as(users[2], check.pk)])
    # PostgreSQL locks rows: the loser saw the task, waited, and is told it is done (409).
    # SQLite locks the whole database from the start of a transaction, so the loser only looks
    # once the winner has committed, when the task is no longer offered to it (404).
    loser = "refused:task_not_open" if connection.vendor == "postgresql" else "refused:not_found"
    assert sorted(outcomes) == ["done", loser], outcomes
    assert Task.objects.filter(instance=instance, element_id="Next").count() == 1
    check.refresh_from_db()
    assert check.status == TaskStatus.COMPLETED


def test_ten_workers_complete_a_ten_branch_join_which_fires_once(clerks: Any) -> None:
    role, users = clerks
    branches = [f"B{i}" for i in range(10)]
    body = '<startEvent id="S"/><parallelGateway id="Split"/><parallelGateway id="Join"/>'
    body += "".join(
        f'<userTask id="{b}" itn:role="clerks" itn:assignment="user" itn:assignee="\'clerk{i}\'"/>'
        for i, b in enumerate(branches)
    )
    body += '<userTask id="After" itn:role="clerks"/><endEvent id="E"/>'
    body += '<sequenceFlow id="s0" sourceRef="S" targetRef="Split"/>'
    for b in branches:
        body += f'<sequenceFlow id="in{b}" sourceRef="Split" targetRef="{b}"/>'
        body += f'<sequenceFlow id="out{b}" sourceRef="{b}" targetRef="Join"/>'
    body += '<sequenceFlow id="j" sourceRef="Join" targetRef="After"/>'
    body += '<sequenceFlow id="e" sourceRef="After" targetRef="E"/>'
    journey = publish("join10", body, users[0])
    instance = services.instance_start(actor=users[0], journey=journey)
    tasks = {t.element_id: t for t in instance.tasks.all()}
    assert {tasks[b].assignee.username for b in branches} == {u.username for u in users}
    outcomes = run_together([complete_as(tasks[b].assignee, tasks[b].pk) for b in branches])
    assert outcomes == ["done"] * 10, outcomes
    assert Task.objects.filter(instance=instance, element_id="After").count() == 1
    instance.refresh_from_db()
    assert instance.marking["log"] == {b: 1 for b in branches}
    assert instance.lock_version == 11  # one increment at the start, one per completion


@pytest.mark.django_db(transaction=False)
def test_separation_of_duties_keeps_one_person_from_doing_both_tasks(clerks: Any) -> None:
    role, users = clerks
    body = (
        '<startEvent id="S"/><userTask id="Prepare" itn:role="clerks"/>'
        '<userTask id="Approve" itn:role="clerks" itn:notSameAs="Prepare"/><endEvent id="E"/>'
        '<sequenceFlow id="a" sourceRef="S" targetRef="Prepare"/>'
        '<sequenceFlow id="b" sourceRef="Prepare" targetRef="Approve"/>'
        '<sequenceFlow id="c" sourceRef="Approve" targetRef="E"/>'
    )
    journey = publish("four-eyes", body, users[0])
    instance = services.instance_start(actor=users[0], journey=journey)
    prepare = instance.tasks.get(element_id="Prepare")
    preparer = prepare.assignee
    task_services.task_complete(actor=preparer, task=prepare, data={})
    approve = instance.tasks.get(element_id="Approve")
    # Least-loaded would pick the preparer again (nobody has open work): it is offered instead.
    assert approve.assignee != preparer
    if approve.assignee is not None:
        task_services.task_unclaim(actor=approve.assignee, task=approve)
        approve.refresh_from_db()
    with pytest.raises(ApplicationError) as caught:
        task_services.task_claim(actor=preparer, task=approve)
    assert caught.value.code == "separation_of_duties"
    with pytest.raises(ApplicationError):
        task_services.task_complete(actor=preparer, task=approve, data={})
    other = next(u for u in users if u != preparer)
    task_services.task_complete(actor=other, task=approve, data={})
    instance.refresh_from_db()
    assert instance.status == "completed"
