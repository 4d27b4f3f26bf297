"""SLAs through the services: deadlines stored when rows are made, the clock paused while the
instance waits for a message, states, escalation exactly once, and publishing refusing bad SLAs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from monitoring import sla
from monitoring.models import AuditEvent
from monitoring.sla_models import SlaEscalation
from processes import services as process_services
from processes.models import InstanceEvent, InstanceStatus
from tasks import services as task_services
from tasks.models import TaskStatus
from tests.factories import UserFactory
from tests.monitoring.sla_support import (
    CLAIMS_BPMN,
    Clock,
    frozen_clock,
    give_calendar,
    office_calendar,
    publish,
    simple_bpmn,
    utc,
)
from workflow_site.errors import ApplicationError

pytestmark = pytest.mark.django_db

HOUR = 3600.0


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return frozen_clock(monkeypatch)


@pytest.fixture
def manager(worker_role: Any) -> Any:
    boss = UserFactory(username="boss")
    worker_role.manager = boss
    worker_role.save(update_fields=["manager"])
    return boss


@pytest.fixture
def claims(designer: Any, worker_role: Any, manager: Any, clock: Clock) -> Any:
    journey = publish(designer, "claims", CLAIMS_BPMN, starters=(worker_role,))
    calendar = office_calendar()
    give_calendar(calendar, role=worker_role, journey=journey)
    return journey


def test_deadlines_are_stored_on_the_rows_when_they_are_made(
    claims: Any, worker: Any, clock: Clock
) -> None:
    clock.set("2024-10-21T07:00")  # Monday 09:00 CEST
    instance = process_services.instance_start(actor=worker, journey=claims)
    review = instance.tasks.get(element_id="Review")
    # 8 working hours from Monday 09:00: 17:00 CEST; the warning after 6 h.
    assert review.sla_seconds == 8 * HOUR
    assert review.sla_deadline == utc("2024-10-21T15:00")
    assert review.sla_warn_at == utc("2024-10-21T13:00")
    assert review.due_at == review.sla_deadline
    assert review.sla["escalation"] == ["raise-priority", "reassign-manager", "notify"]
    # The journey: two business days (16 h) on the journey's calendar, warning at half.
    assert instance.sla_deadline == utc("2024-10-22T15:00")
    assert instance.sla_warn_at == utc("2024-10-21T15:00")
    # A task without itn:sla carries nothing.
    ask = instance.tasks.get(element_id="Ask")
    assert (ask.sla_seconds, ask.sla_deadline, ask.sla) == (None, None, {})
    assert sla.task_sla_state(review) == sla.ON_TRACK
    clock.set("2024-10-21T13:30")
    assert sla.task_sla_state(review) == sla.AT_RISK
    clock.set("2024-10-21T15:00")
    assert sla.task_sla_state(review) == sla.BREACHED


def test_the_clock_stops_while_the_instance_waits_for_the_customer(
    claims: Any, worker: Any, designer: Any, clock: Clock
) -> None:
    clock.set("2024-10-21T07:00")  # Monday 09:00 CEST
    instance = process_services.instance_start(actor=worker, journey=claims)
    clock.set("2024-10-21T09:00")  # Monday 11:00 CEST: 2 h used, 6 h left
    task_services.task_complete(actor=worker, task=instance.tasks.get(element_id="Ask"), data={})
    review = instance.tasks.get(element_id="Review")
    instance.refresh_from_db()
    assert review.sla_deadline is None
    assert review.sla["remaining"] == 6 * HOUR
    assert sla.task_sla_state(review) == sla.PAUSED
    # The journey clock: Monday 11:00 to Tuesday 17:00 is 14 working hours.
    assert instance.sla["remaining"] == 14 * HOUR
    assert sla.instance_sla_state(instance) == sla.PAUSED

    # Wednesday 14:00 CEST the customer replies: 3 h on Wednesday, 3 h on Thursday.
    clock.set("2024-10-23T12:00")
    process_services.instance_message(
        actor=designer, instance_id=instance.pk, name="customer reply"
    )
    review.refresh_from_db()
    instance.refresh_from_db()
    assert review.sla_deadline == utc("2024-10-24T10:00")
    # 2 h were used before the pause; the warning after 6 h comes 4 working hours on.
    assert review.sla_warn_at == utc("2024-10-24T08:00")
    assert "remaining" not in review.sla
    assert review.sla["paused_seconds"] == (2 * 24 + 3) * HOUR
    # The journey: 14 h from Wednesday 14:00 is Friday 12:00 CEST; its warning (8 h, 2 used)
    # Thursday 12:00 CEST.
    assert instance.sla_deadline == utc("2024-10-25T10:00")
    assert instance.sla_warn_at == utc("2024-10-24T10:00")


def test_a_task_made_while_the_instance_already_waits_starts_paused(
    designer: Any, worker_role: Any, worker: Any, clock: Clock
) -> None:
    bpmn = CLAIMS_BPMN.replace('targetRef="Review"', 'targetRef="Wait"').replace(
        '<bpmn:parallelGateway id="Join" />',
        '<bpmn:parallelGateway id="Join" />'
        '<bpmn:userTask id="Wait" name="Wait" itn:role="clerks" />'
        '<bpmn:sequenceFlow id="F8" sourceRef="Wait" targetRef="Review" />',
    )
    journey = publish(designer, "late-review", bpmn, starters=(worker_role,))
    instance = process_services.instance_start(actor=worker, journey=journey)
    task_services.task_complete(actor=worker, task=instance.tasks.get(element_id="Ask"), data={})
    # The instance now waits for the reply; the review made after that starts paused.
    task_services.task_complete(actor=worker, task=instance.tasks.get(element_id="Wait"), data={})
    review = instance.tasks.get(element_id="Review")
    assert review.sla_deadline is None
    assert review.sla["remaining"] == 8 * HOUR  # round the clock: no calendar given


def test_without_a_calendar_the_sla_is_elapsed_time(
    designer: Any, worker_role: Any, worker: Any, clock: Clock
) -> None:
    journey = publish(
        designer, "plain", simple_bpmn(check_sla='itn:sla="P1DT2H"'), starters=(worker_role,)
    )
    clock.set("2024-10-26T10:00")  # a Saturday: no calendar, so it counts
    instance = process_services.instance_start(actor=worker, journey=journey)
    check = instance.tasks.get(element_id="Check")
    assert check.sla_deadline == utc("2024-10-27T12:00")
    assert check.sla_warn_at == utc("2024-10-27T06:48")  # 80 % of 26 h
    assert instance.sla_deadline is None


def test_completing_on_time_is_met_and_late_is_breached(
    designer: Any, worker_role: Any, worker: Any, clock: Clock
) -> None:
    journey = publish(
        designer,
        "timed",
        simple_bpmn(check_sla='itn:sla="PT1H"', process_sla='itn:sla="PT3H"'),
        starters=(worker_role,),
    )
    clock.set("2024-10-21T07:00")
    instance = process_services.instance_start(actor=worker, journey=journey)
    clock.set("2024-10-21T07:59")
    task_services.task_complete(actor=worker, task=instance.tasks.get(element_id="Check"), data={})
    clock.set("2024-10-21T10:30")
    task_services.task_complete(
        actor=worker, task=instance.tasks.get(element_id="Approve"), data={}
    )
    instance.refresh_from_db()
    assert sla.task_sla_state(instance.tasks.get(element_id="Check")) == sla.MET
    assert instance.status == InstanceStatus.COMPLETED
    assert sla.instance_sla_state(instance) == sla.BREACHED


def test_escalation_raises_reassigns_and_notifies_exactly_once(
    claims: Any,
    worker: Any,
    manager: Any,
    clock: Clock,
    django_capture_on_commit_callbacks: Any,
) -> None:
    clock.set("2024-10-21T07:00")
    instance = process_services.instance_start(actor=worker, journey=claims)
    review = instance.tasks.get(element_id="Review")
    task_services.task_claim(actor=worker, task=review)
    clock.set("2024-10-21T14:59")
    with django_capture_on_commit_callbacks(execute=True):
        assert sla.sla_checks_claim_due(clock()) == 0
    clock.set("2024-10-21T15:30")  # past Monday 17:00 CEST
    with django_capture_on_commit_callbacks(execute=True):
        assert sla.sla_checks_claim_due(clock()) == 1
    review.refresh_from_db()
    assert review.sla_escalated_at == utc("2024-10-21T15:30")
    assert review.priority == 75
    assert review.assignee == manager
    assert review.status == TaskStatus.CLAIMED
    assert review.sla["escalated"] == {
        "actions": ["raise-priority", "reassign-manager", "notify"],
        "skipped": {},
    }
    (record,) = SlaEscalation.objects.filter(task=review)
    assert record.notified == sorted([worker.pk, manager.pk])
    assert (record.assignee_before, record.assignee_after) == (worker, manager)
    assert AuditEvent.objects.filter(type="task.escalated", object_id=str(review.pk)).count() == 1
    assert InstanceEvent.objects.filter(instance=instance, kind="sla_escalated").count() == 1

    # A second sweep, and the job run again (a redelivered message), change nothing.
    clock.set("2024-10-21T16:30")
    with django_capture_on_commit_callbacks(execute=True):
        assert sla.sla_checks_claim_due(clock()) == 0
    assert sla.escalation_run(kind="task", object_id=review.pk) is False
    review.refresh_from_db()
    assert review.priority == 75
    assert SlaEscalation.objects.count() == 1
    assert AuditEvent.objects.filter(type="task.escalated").count() == 1


def test_a_missed_sweep_catches_up_and_a_lost_job_is_claimed_again(
    designer: Any,
    worker_role: Any,
    worker: Any,
    clock: Clock,
    django_capture_on_commit_callbacks: Any,
) -> None:
    journey = publish(
        designer,
        "many",
        simple_bpmn(check_sla='itn:sla="PT1H" itn:escalation="raise-priority"'),
        starters=(worker_role,),
    )
    instances = []
    for hour in range(3):
        clock.set(f"2024-10-21T0{7 + hour}:00")
        instances.append(process_services.instance_start(actor=worker, journey=journey))
    # Nobody swept for two days. The first sweep's jobs are lost (never run).
    clock.set("2024-10-23T12:00")
    with django_capture_on_commit_callbacks(execute=False):
        assert sla.sla_checks_claim_due(clock()) == 3
    # Within the claim timeout nothing is claimed twice ...
    with django_capture_on_commit_callbacks(execute=True):
        assert sla.sla_checks_claim_due(clock() + timedelta(seconds=30)) == 0
    # ... after it, the checks are claimed again and escalated once each.
    later = clock() + sla.CLAIM_TIMEOUT + timedelta(seconds=1)
    clock.moment = later
    with django_capture_on_commit_callbacks(execute=True):
        assert sla.sla_checks_claim_due(later) == 3
    for instance in instances:
        check = instance.tasks.get(element_id="Check")
        assert check.priority == 75
        assert check.sla_escalated_at == later
    assert SlaEscalation.objects.count() == 3


def test_the_journey_sla_escalates_by_raising_the_open_tasks(
    claims: Any,
    worker: Any,
    manager: Any,
    clock: Clock,
    django_capture_on_commit_callbacks: Any,
) -> None:
    clock.set("2024-10-21T07:00")
    instance = process_services.instance_start(actor=worker, journey=claims)
    clock.set("2024-10-22T15:00")  # Tuesday 17:00 CEST: the journey's deadline
    with django_capture_on_commit_callbacks(execute=True):
        assert sla.sla_checks_claim_due(clock()) == 2  # the review's and the journey's
    instance.refresh_from_db()
    assert instance.sla_escalated_at == clock()
    record = SlaEscalation.objects.get(kind="journey")
    assert record.actions == ["raise-priority", "notify"]
    assert manager.pk in record.notified
    assert worker.pk in record.notified  # who started it
    # Review: +25 by its own escalation and +25 by the journey's; Ask: +25.
    assert instance.tasks.get(element_id="Ask").priority == 75
    assert instance.tasks.get(element_id="Review").priority == 100
    assert AuditEvent.objects.filter(type="instance.escalated").count() == 1


def test_a_moved_deadline_releases_the_claim_without_escalating(
    claims: Any, worker: Any, designer: Any, clock: Clock
) -> None:
    clock.set("2024-10-21T07:00")
    instance = process_services.instance_start(actor=worker, journey=claims)
    review = instance.tasks.get(element_id="Review")
    clock.set("2024-10-21T15:30")
    sla.sla_checks_claim_due(clock())  # claimed; its job comes later
    # Meanwhile the deadline moves (e.g. the clock was paused); the job finds nothing due.
    review.refresh_from_db()
    review.sla_deadline = utc("2024-10-22T15:00")
    review.save(update_fields=["sla_deadline"])
    assert sla.escalation_run(kind="task", object_id=review.pk) is False
    review.refresh_from_db()
    assert review.sla_claimed_at is None
    assert review.sla_escalated_at is None


def test_publishing_refuses_sla_attributes_that_cannot_be_read(designer: Any) -> None:
    journey = process_services.journey_create(
        actor=designer,
        key="bad-sla",
        name="Bad",
        bpmn_xml=simple_bpmn(check_sla='itn:sla="P1M" itn:escalation="shout"'),
    )
    with pytest.raises(ApplicationError) as caught:
        process_services.journey_version_publish(actor=designer, version=journey.versions.get())
    findings = caught.value.details["findings"]
    assert [(f["element_id"], f["code"]) for f in findings if f["code"] == "bad-sla"] == [
        ("Check", "bad-sla")
    ]


def test_a_calendar_is_checked_when_it_is_saved(db: Any) -> None:
    calendar = office_calendar()
    calendar.time_zone = "Atlantis/Capital"
    with pytest.raises(ApplicationError) as caught:
        sla.calendar_compile(calendar=calendar)
    assert (caught.value.code, caught.value.field) == ("invalid_calendar", "time_zone")
    assert AuditEvent.objects.filter(type="calendar.saved").count() == 1
