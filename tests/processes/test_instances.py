"""Durable execution through the services: start, route, complete, timers, messages, jobs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from guardian.shortcuts import assign_perm

from processes import handlers, services
from processes.models import (
    Incident,
    InstanceEvent,
    InstanceStatus,
    InstanceWait,
    ProcessInstance,
    Timer,
)
from processes.selectors import journey_by_key
from tasks import services as task_services
from tasks.models import TaskStatus
from tests.factories import MINIMAL_BPMN
from workflow_site.demo import demo_data_install
from workflow_site.errors import ApplicationError, ConflictError

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo() -> dict[str, Any]:
    demo_data_install()
    users = {u.username: u for u in get_user_model().objects.all()}
    return users


def open_tasks(instance: ProcessInstance) -> dict[str, tuple[str, str | None]]:
    return {
        t.element_id: (t.status, t.assignee.username if t.assignee else None)
        for t in instance.tasks.filter(status__in=["offered", "claimed", "started", "waiting"])
    }


def test_a_loan_runs_from_start_to_end(
    demo: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    ana, ben, carla = demo["ana"], demo["ben"], demo["carla"]
    journey = journey_by_key(key="loan-application")
    with django_capture_on_commit_callbacks(execute=True):
        instance = services.instance_start(
            actor=ana, journey=journey, data={"channel": "branch"}, business_key="L-1"
        )
    assert instance.status == InstanceStatus.RUNNING
    # Least-loaded: both officers have nothing; the lower id gets it.
    assert open_tasks(instance) == {"Task_Capture": ("claimed", "ana")}
    capture = instance.tasks.get(element_id="Task_Capture")
    with pytest.raises(ApplicationError) as caught:
        task_services.task_complete(
            actor=ana, task=capture, data={"applicant": "Jo", "amount": "12"}
        )
    assert caught.value.code == "invalid_data"
    assert "amount" in caught.value.details["errors"]
    task_services.task_complete(
        actor=ana,
        task=capture,
        data={"applicant": "Jo", "amount": "75000", "term_months": "24"},
    )
    instance.refresh_from_db()
    assert instance.data["amount"] == 75000
    # The documents task goes to ben now (ana just completed one, but has none open either:
    # least-loaded counts open tasks, ties to the lower id).
    docs = instance.tasks.get(element_id="Task_Documents")
    assert docs.status == TaskStatus.CLAIMED
    task_services.task_complete(actor=docs.assignee, task=docs, data={"documents_ok": True})
    underwrite = instance.tasks.get(element_id="Task_Underwrite")
    assert underwrite.assignee == carla
    with pytest.raises(ConflictError):
        task_services.task_complete(actor=ben, task=underwrite, data={})
    task_services.task_complete(
        actor=carla, task=underwrite, data={"approved": True, "decision_reason": "Solid."}
    )
    instance.refresh_from_db()
    assert instance.status == InstanceStatus.COMPLETED
    assert instance.ended_at is not None
    kinds = list(instance.events.values_list("kind", flat=True))
    assert kinds[0] == "started"
    assert kinds.count("task_completed") == 3


def test_starting_needs_permission_and_a_published_version(demo: dict[str, Any]) -> None:
    journey = journey_by_key(key="loan-application")
    with pytest.raises(ApplicationError) as caught:
        services.instance_start(actor=demo["carla"], journey=journey)
    assert caught.value.code == "permission_denied"


TIMER_BPMN = (
    MINIMAL_BPMN.replace(
        '<bpmn:sequenceFlow id="F2" sourceRef="Work" targetRef="End" />',
        '<bpmn:sequenceFlow id="F2" sourceRef="Work" targetRef="Wait" />',
    )
    .replace(
        '<bpmn:endEvent id="End" />',
        '<bpmn:endEvent id="End" /><bpmn:boundaryEvent id="Late" attachedToRef="Work">'
        "<bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration>"
        '</bpmn:timerEventDefinition></bpmn:boundaryEvent><bpmn:userTask id="Chase" />'
        '<bpmn:sequenceFlow id="F5" sourceRef="Wait" targetRef="End" />'
        '<bpmn:endEvent id="End2" />'
        '<bpmn:sequenceFlow id="F3" sourceRef="Late" targetRef="Chase" />'
        '<bpmn:sequenceFlow id="F4" sourceRef="Chase" targetRef="End2" />'
        '<bpmn:intermediateCatchEvent id="Wait"><bpmn:messageEventDefinition messageRef="M" />'
        "</bpmn:intermediateCatchEvent>",
    )
    .replace(
        '<bpmn:process id="Process_1"',
        '<bpmn:message id="M" name="reply" /><bpmn:process id="Process_1"',
    )
)


def published(designer: Any, key: str, xml: str) -> Any:
    """A published journey its designer may also start."""
    journey = services.journey_create(actor=designer, key=key, name=key.title(), bpmn_xml=xml)
    services.journey_version_publish(actor=designer, version=journey.versions.get())
    assign_perm("processes.start_journey", designer, journey)
    return journey


@pytest.fixture
def timer_journey(designer: Any) -> Any:
    return published(designer, "t", TIMER_BPMN)


def test_timers_are_stored_and_fired_by_the_sweep_exactly_once(
    designer: Any, timer_journey: Any
) -> None:
    instance = services.instance_start(actor=designer, journey=timer_journey)
    (timer,) = Timer.objects.filter(instance=instance)
    assert timer.element_id == "Late"
    assert services.timers_fire_due(timezone.now()) == 0
    later = timezone.now() + timedelta(hours=2)
    assert services.timers_fire_due(later) == 1
    assert services.timers_fire_due(later) == 0
    assert not Timer.objects.filter(instance=instance).exists()
    assert set(open_tasks(instance)) == {"Chase"}


def test_a_missed_claim_is_taken_over_and_a_stale_timer_is_not_fired(
    designer: Any, timer_journey: Any
) -> None:
    instance = services.instance_start(actor=designer, journey=timer_journey)
    later = timezone.now() + timedelta(hours=2)
    Timer.objects.filter(instance=instance).update(claimed_at=later - timedelta(seconds=5))
    assert services.timers_fire_due(later) == 0  # claimed by a sweeper that is still working
    assert services.timers_fire_due(later + timedelta(minutes=5)) == 1  # that sweeper died
    work = instance.tasks.get(element_id="Work")
    assert work.status == TaskStatus.WITHDRAWN


def test_suspended_instances_refuse_events_and_resume(designer: Any, timer_journey: Any) -> None:
    instance = services.instance_start(actor=designer, journey=timer_journey)
    services.instance_suspend(actor=designer, instance_id=instance.pk, reason="audit")
    work = instance.tasks.get(element_id="Work")
    with pytest.raises(ConflictError) as caught:
        task_services.task_complete(actor=designer, task=work, data={})
    assert caught.value.code == "instance_suspended"
    assert services.timers_fire_due(timezone.now() + timedelta(hours=2)) == 0
    services.instance_resume(actor=designer, instance_id=instance.pk)
    task_services.task_complete(actor=designer, task=work, data={})
    instance.refresh_from_db()
    assert instance.status == InstanceStatus.RUNNING  # the message catch still waits
    assert InstanceWait.objects.filter(instance=instance, key="message:reply").exists()


def test_messages_and_signals_need_the_send_permission(designer: Any) -> None:
    for send in (
        lambda: services.message_correlate(actor=designer, name="m", correlation_key="k"),
        lambda: services.signal_broadcast(actor=designer, name="s"),
    ):
        with pytest.raises(ApplicationError) as caught:
            send()
        assert caught.value.code == "permission_denied"


def sender(user: Any) -> Any:
    """``user`` with the permission to send messages and signals (fresh permission cache)."""
    assign_perm("processes.send_message", user)
    return type(user).objects.get(pk=user.pk)


def test_messages_are_correlated_by_key(designer: Any, timer_journey: Any) -> None:
    designer = sender(designer)
    first = services.instance_start(actor=designer, journey=timer_journey, correlation_key="A-1")
    second = services.instance_start(actor=designer, journey=timer_journey, correlation_key="B-2")
    for instance in (first, second):
        task_services.task_complete(
            actor=designer, task=instance.tasks.get(element_id="Work"), data={}
        )
    assert services.message_correlate(
        actor=designer, name="reply", correlation_key="A-1", data={"ok": 1}
    ) == [first.pk]
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.data == {"ok": 1}
    assert second.data == {}
    assert first.status == InstanceStatus.COMPLETED
    assert not InstanceWait.objects.filter(instance=first).exists()
    assert InstanceWait.objects.filter(instance=second, key="message:reply").exists()
    with pytest.raises(ApplicationError) as caught:
        services.message_correlate(actor=designer, name="reply", correlation_key="none")
    assert caught.value.code == "no_instance"


def test_cancel_needs_a_reason_and_withdraws_everything(designer: Any, timer_journey: Any) -> None:
    instance = services.instance_start(actor=designer, journey=timer_journey)
    with pytest.raises(ApplicationError) as caught:
        services.instance_cancel(actor=designer, instance_id=instance.pk, reason=" ")
    assert caught.value.field == "reason"
    services.instance_cancel(actor=designer, instance_id=instance.pk, reason="Duplicate")
    instance.refresh_from_db()
    assert (instance.status, instance.end_reason) == (InstanceStatus.CANCELLED, "Duplicate")
    assert not Timer.objects.filter(instance=instance).exists()
    assert set(instance.tasks.values_list("status", flat=True)) == {TaskStatus.WITHDRAWN}
    with pytest.raises(ConflictError):
        services.instance_resume(actor=designer, instance_id=instance.pk)


SERVICE_BPMN = (
    MINIMAL_BPMN.replace(
        '<bpmn:userTask id="Work" name="Do the work" />',
        '<bpmn:serviceTask id="Score" itn:topic="score" /><bpmn:userTask id="Work" />',
    )
    .replace(
        '<bpmn:sequenceFlow id="F1" sourceRef="Start" targetRef="Work" />',
        '<bpmn:sequenceFlow id="F1" sourceRef="Start" targetRef="Score" />'
        '<bpmn:sequenceFlow id="F0" sourceRef="Score" targetRef="Work" />',
    )
    .replace("<bpmn:definitions ", '<bpmn:definitions xmlns:itn="urn:itinera:bpmn:1" ')
)


@pytest.fixture
def service_journey(designer: Any) -> Any:
    return published(designer, "s", SERVICE_BPMN)


def test_service_tasks_run_as_jobs_after_commit(
    designer: Any, service_journey: Any, django_capture_on_commit_callbacks: Any
) -> None:
    calls: list[dict[str, Any]] = []

    @handlers.register_handler("score")
    def score(data: Any) -> dict[str, Any]:
        calls.append(dict(data))
        return {"score": 700}

    try:
        with django_capture_on_commit_callbacks(execute=False) as queued:
            instance = services.instance_start(
                actor=designer, journey=service_journey, data={"a": 1}
            )
        assert calls == []  # nothing runs before the commit
        assert open_tasks(instance) == {}
        for callback in queued:
            callback()
        instance.refresh_from_db()
        assert calls == [{"a": 1}]
        assert instance.data == {"a": 1, "score": 700}
        assert set(open_tasks(instance)) == {"Work"}
    finally:
        handlers.unregister_handler("score")


def test_a_failing_service_task_becomes_an_incident_and_can_be_retried(
    designer: Any, service_journey: Any, django_capture_on_commit_callbacks: Any
) -> None:
    attempts: list[int] = []

    @handlers.register_handler("score")
    def flaky(data: Any) -> dict[str, Any]:
        attempts.append(1)
        if len(attempts) <= 6:
            raise ConnectionError("bureau down")
        return {"score": 1}

    try:
        with django_capture_on_commit_callbacks(execute=True):
            instance = services.instance_start(actor=designer, journey=service_journey)
        (incident,) = Incident.objects.filter(instance=instance)
        assert incident.kind == "service_task"
        assert "bureau down" in incident.message
        assert len(attempts) == 6
        with django_capture_on_commit_callbacks(execute=True):
            services.incident_retry(actor=designer, incident_id=incident.pk)
        incident.refresh_from_db()
        assert incident.resolved_at is not None
        assert set(open_tasks(instance)) == {"Work"}
        assert InstanceEvent.objects.filter(instance=instance, kind="incident_retried").exists()
    finally:
        handlers.unregister_handler("score")


def test_a_job_the_database_failed_is_sent_again_not_dropped(
    designer: Any,
    service_journey: Any,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from celery.exceptions import Retry
    from django.db import OperationalError

    from processes import jobs

    run_service_task: Any = jobs.run_service_task  # its request is set by hand below

    @handlers.register_handler("score")
    def score(data: Any) -> dict[str, Any]:
        return {"score": 1}

    try:
        with django_capture_on_commit_callbacks(execute=False):  # the job is not run here
            instance = services.instance_start(actor=designer, journey=service_journey)
        activity = InstanceEvent.objects.get(instance=instance, kind="job_queued").detail[
            "activity"
        ]
        finish = services.instance_job_done

        def deadlocked(**kwargs: Any) -> Any:
            raise OperationalError("deadlock detected")

        sent_again: list[dict[str, Any]] = []

        def retry(**kwargs: Any) -> Retry:
            sent_again.append(kwargs)
            return Retry("sent again")

        monkeypatch.setattr(services, "instance_job_done", deadlocked)
        monkeypatch.setattr(run_service_task, "retry", retry)
        run_service_task.push_request(retries=0, is_eager=False)
        try:
            with pytest.raises(Retry):
                run_service_task.run(instance.pk, activity)
            assert isinstance(sent_again[0]["exc"], OperationalError)
            assert sent_again[0]["countdown"] == 2
            monkeypatch.setattr(services, "instance_job_done", finish)
            assert run_service_task.run(instance.pk, activity) == "done"  # the redelivery
        finally:
            run_service_task.pop_request()
        assert set(open_tasks(instance)) == {"Work"}
    finally:
        handlers.unregister_handler("score")


def test_signals_reach_every_waiting_instance(designer: Any) -> None:
    xml = MINIMAL_BPMN.replace(
        '<bpmn:userTask id="Work" name="Do the work" />',
        '<bpmn:intermediateCatchEvent id="Work"><bpmn:signalEventDefinition signalRef="Sg" />'
        "</bpmn:intermediateCatchEvent>",
    ).replace(
        '<bpmn:process id="Process_1"',
        '<bpmn:signal id="Sg" name="go" /><bpmn:process id="Process_1"',
    )
    journey = published(designer, "sig", xml)
    designer = sender(designer)
    a = services.instance_start(actor=designer, journey=journey)
    b = services.instance_start(actor=designer, journey=journey)
    assert sorted(services.signal_broadcast(actor=designer, name="go")) == [a.pk, b.pk]
    assert set(
        ProcessInstance.objects.filter(pk__in=[a.pk, b.pk]).values_list("status", flat=True)
    ) == {InstanceStatus.COMPLETED}
    assert services.signal_broadcast(actor=designer, name="go") == []
