"""Every service that changes state writes exactly one audit event of its type.

One walk calls each of them once, in the order a real journey would, and checks the events each
call added: exactly one of the expected type, and otherwise only the consequences the engine
brings about (the next task offered, open tasks withdrawn, the case completed). A second check
makes sure no public service of the services modules was left out of the walk.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from monitoring import services as audit_services
from monitoring.context import RequestContext
from monitoring.models import AUDIT_EVENT_TYPES, AuditEvent
from processes import services as process_services
from processes.models import InstanceEvent, Timer
from processes.selectors import journey_by_key
from tasks import services as task_services
from tasks.models import Role, Task
from tests.factories import MINIMAL_BPMN
from tests.monitoring.support import last_seq
from tests.processes.test_instances import SERVICE_BPMN, TIMER_BPMN, published, sender

pytestmark = pytest.mark.django_db

#: What the engine brings about besides the action itself.
CONSEQUENCES = frozenset(
    {"task.offered", "task.withdrawn", "instance.completed", "instance.failed", "incident.raised"}
)
#: Public functions of the services modules that are not walked, and why.
NOT_WALKED = {
    "processes.services.check_bpmn": "a check: writes nothing",
    "processes.services.check_executable": "a check: writes nothing",
    "processes.services.instance_task_event": "the engine half of task_start and task_complete",
    "tasks.services.task_create_for_item": "the engine's new items: task.offered consequences",
    "tasks.services.task_follow_engine": "the engine's bookkeeping; task_start's task.started",
    "tasks.services.task_mark_completed": "task_complete's task.completed",
    "tasks.services.task_mark_withdrawn": "task.withdrawn consequences of ending an instance",
    "monitoring.services.audit_batch": "groups the events of a service; writes none itself",
    "monitoring.services.audit_batched": "groups the events of a service; writes none itself",
    "processes.services.instance_locked": "a lock and a read: writes nothing",
    "processes.services.remember_lock": "marks a lock the caller took: writes nothing",
    "processes.services.holds_instance_lock": "a check: writes nothing",
    "tasks.services.saved_filter_query": "a check: writes nothing",
    "tasks.services.saved_filter_save": "a personal inbox preference, not case or access state",
    "tasks.services.saved_filter_delete": "a personal inbox preference, not case or access state",
}
SERVICE_MODULES = (process_services, task_services, audit_services)

SIGNAL_BPMN = MINIMAL_BPMN.replace(
    '<bpmn:userTask id="Work" name="Do the work" />',
    '<bpmn:intermediateCatchEvent id="Work"><bpmn:signalEventDefinition signalRef="Sg" />'
    "</bpmn:intermediateCatchEvent>",
).replace(
    '<bpmn:process id="Process_1"', '<bpmn:signal id="Sg" name="go" /><bpmn:process id="Process_1"'
)


def public_services() -> set[str]:
    found = set()
    for module in SERVICE_MODULES:
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if function.__module__ == module.__name__ and not name.startswith("_"):
                found.add(f"{module.__name__}.{name}")
    return found


class Walk:
    def __init__(self) -> None:
        self.walked: set[str] = set()
        self.seen: list[str] = []

    def call(self, service: Callable[..., Any], audit_type: str | None, **kwargs: Any) -> Any:
        """Call ``service`` and check the events it added."""
        self.walked.add(f"{service.__module__}.{service.__name__}")
        start = last_seq()
        result = service(**kwargs)
        added = list(
            AuditEvent.objects.filter(seq__gt=start).order_by("seq").values_list("type", flat=True)
        )
        self.seen += added
        if audit_type is None:
            assert added == [], f"{service.__name__} wrote {added}"
        else:
            assert added.count(audit_type) == 1, f"{service.__name__} wrote {added}"
            assert set(added) - {audit_type} <= CONSEQUENCES, f"{service.__name__} wrote {added}"
        return result


def fresh(task: Task) -> Task:
    return Task.objects.select_related("role", "instance__version__journey", "assignee").get(
        pk=task.pk
    )


def test_every_state_changing_service_writes_one_event_of_its_type(
    demo_users: dict[str, Any], designer: Any, django_capture_on_commit_callbacks: Any
) -> None:
    walk = Walk()
    admin, maria, ana, ben = (demo_users[name] for name in ("admin", "maria", "ana", "ben"))
    officers = Role.objects.get(key="loan-officers")

    # Journeys, versions and their permissions.
    journey = walk.call(
        process_services.journey_create,
        "journey.created",
        actor=designer,
        key="walk",
        name="Walk",
        bpmn_xml=MINIMAL_BPMN,
    )
    imported = walk.call(
        process_services.journey_import,
        "journey.created",
        actor=designer,
        bpmn_xml=MINIMAL_BPMN,
        key="walk-import",
    )
    first = walk.call(
        process_services.journey_version_publish,
        "journey.published",
        actor=designer,
        version=journey.versions.get(),
    )
    walk.call(
        process_services.journey_draft_save,
        "journey.draft_saved",
        actor=designer,
        journey=journey,
        bpmn_xml=MINIMAL_BPMN,
        expected_lock_version=None,
    )
    walk.call(
        process_services.journey_version_retire,
        "journey.retired",
        actor=designer,
        version=first,
    )
    walk.call(
        process_services.journey_permission_grant,
        "permission.granted",
        actor=designer,
        journey=journey,
        role=officers,
        action="start",
    )
    walk.call(
        process_services.journey_permission_revoke,
        "permission.revoked",
        actor=designer,
        journey=journey,
        role=officers,
        action="start",
    )
    walk.call(
        process_services.journey_update,
        "journey.updated",
        actor=designer,
        journey=journey,
        name="Walked",
        description="A journey walked by a test.",
    )

    # Roles.
    role = walk.call(
        task_services.role_create, "role.created", key="walkers", name="Walkers", actor=admin
    )
    walk.call(task_services.role_member_add, "role.member_added", role=role, user=ana, actor=admin)
    walk.call(
        task_services.role_member_remove, "role.member_removed", role=role, user=ana, actor=admin
    )
    walk.call(
        task_services.role_update,
        "role.updated",
        role=role,
        name="Walkers",
        description="",
        manager=maria,
        actor=admin,
    )

    # A loan, worked through every task action.
    loan = walk.call(
        process_services.instance_start,
        "instance.started",
        actor=ana,
        journey=journey_by_key(key="loan-application"),
        business_key="WALK-1",
    )
    capture = loan.tasks.get(element_id="Task_Capture")
    assert capture.assignee == ana
    walk.call(task_services.task_unclaim, "task.unclaimed", actor=ana, task=fresh(capture))
    walk.call(task_services.task_claim, "task.claimed", actor=ben, task=fresh(capture))
    walk.call(
        task_services.task_reassign,
        "task.reassigned",
        actor=maria,
        task=fresh(capture),
        user_id=ana.pk,
        reason="Ben is away",
    )
    walk.call(
        task_services.task_delegate,
        "task.delegated",
        actor=ana,
        task=fresh(capture),
        user_id=ben.pk,
        reason="Ben knows this client",
    )
    walk.call(
        task_services.task_escalate,
        "task.escalated",
        actor=ben,
        task=fresh(capture),
        reason="Unusual amount",
    )
    walk.call(
        task_services.task_comment,
        "task.commented",
        actor=maria,
        task=fresh(capture),
        text="Looking into it.",
    )
    walk.call(task_services.task_start, "task.started", actor=maria, task=fresh(capture))
    walk.call(
        task_services.task_complete,
        "task.completed",
        actor=maria,
        task=fresh(capture),
        data={"applicant": "Jo", "amount": "75000", "term_months": "24"},
    )

    # Operators.
    timer_journey = published(designer, "walk-timer", TIMER_BPMN)
    case = process_services.instance_start(actor=designer, journey=timer_journey)
    walk.call(
        process_services.instance_suspend,
        "instance.suspended",
        actor=designer,
        instance_id=case.pk,
        reason="Waiting for the auditor",
    )
    walk.call(
        process_services.instance_resume, "instance.resumed", actor=designer, instance_id=case.pk
    )
    walk.call(
        process_services.instance_cancel,
        "instance.cancelled",
        actor=designer,
        instance_id=case.pk,
        reason="Duplicate",
    )
    case = process_services.instance_start(actor=designer, journey=timer_journey)
    walk.call(
        process_services.instance_terminate,
        "instance.terminated",
        actor=designer,
        instance_id=case.pk,
        reason="Opened by mistake",
    )

    # Timers, messages and signals.
    case = process_services.instance_start(actor=designer, journey=timer_journey)
    timer = Timer.objects.get(instance=case)
    walk.call(process_services.timer_fire, "instance.advanced", timer_id=timer.pk)
    process_services.instance_start(actor=designer, journey=timer_journey)
    walk.call(
        process_services.timers_fire_due,
        "instance.advanced",
        now=timezone.now() + timedelta(hours=2),
    )
    case = process_services.instance_start(actor=designer, journey=timer_journey)
    task_services.task_complete(actor=designer, task=case.tasks.get(element_id="Work"), data={})
    walk.call(
        process_services.instance_message,
        "instance.advanced",
        actor=designer,
        instance_id=case.pk,
        name="reply",
        data={"ok": True},
    )
    messenger = sender(designer)
    case = process_services.instance_start(
        actor=messenger, journey=timer_journey, correlation_key="K-1"
    )
    task_services.task_complete(actor=messenger, task=case.tasks.get(element_id="Work"), data={})
    walk.call(
        process_services.message_correlate,
        "instance.advanced",
        actor=messenger,
        name="reply",
        correlation_key="K-1",
    )
    signal_journey = published(designer, "walk-signal", SIGNAL_BPMN)
    process_services.instance_start(actor=designer, journey=signal_journey)
    walk.call(process_services.signal_broadcast, "instance.advanced", actor=messenger, name="go")

    # Service-task jobs and incidents (their jobs are queued on commit, which never comes here).
    service_journey = published(designer, "walk-service", SERVICE_BPMN)
    with django_capture_on_commit_callbacks(execute=False):
        case = process_services.instance_start(actor=designer, journey=service_journey)
        failing = process_services.instance_start(actor=designer, journey=service_journey)
    (queued,) = InstanceEvent.objects.filter(instance=case, kind="job_queued")
    walk.call(
        process_services.instance_job_done,
        "instance.advanced",
        instance_id=case.pk,
        activity=queued.detail["activity"],
        data={"score": 700},
    )
    (queued,) = InstanceEvent.objects.filter(instance=failing, kind="job_queued")
    incident = walk.call(
        process_services.instance_job_failed,
        "incident.raised",
        instance_id=failing.pk,
        activity=queued.detail["activity"],
        element_id="Score",
        message="bureau down",
        attempts=6,
    )
    walk.call(
        process_services.incident_retry,
        "incident.retried",
        actor=designer,
        incident_id=incident.pk,
    )

    # The audit trail's own services.
    walk.call(audit_services.audit_record, "test.walked", type="test.walked")
    walk.call(
        audit_services.audit_access_denied,
        "access.denied",
        user=demo_users["carla"],
        object_type="instance",
        object_id=loan.pk,
        instance_id=loan.pk,
    )
    waiting = RequestContext(
        ip="192.0.2.1",
        pending=[{"type": "access.denied", "actor": ana, "object_type": "task", "object_id": 1}],
    )
    walk.call(audit_services.audit_pending_flush, "access.denied", context=waiting)
    walk.call(
        audit_services.journey_retention_set,
        "audit.retention_set",
        actor=admin,
        journey=journey,
        retention_days=1,
    )
    walk.call(
        audit_services.journey_legal_hold_set,
        "audit.legal_hold_placed",
        actor=admin,
        journey=journey,
        hold=True,
        reason="Litigation",
    )
    walk.call(
        audit_services.journey_legal_hold_set,
        "audit.legal_hold_released",
        actor=admin,
        journey=journey,
        hold=False,
        reason="Settled",
    )
    audit_services.journey_retention_set(actor=admin, journey=imported, retention_days=1)
    walk.call(audit_services.audit_checkpoint_create, None)
    process_services.journey_update(actor=designer, journey=journey, name="W", description="")
    walk.call(audit_services.audit_checkpoint_due, None, now=timezone.now() + timedelta(days=1))
    later = timezone.now() + timedelta(days=2)
    walk.call(
        audit_services.audit_purge_journey,
        "audit.purged",
        actor=admin,
        journey=journey,
        now=later,
    )
    walk.call(audit_services.audit_purge, "audit.purged", actor=admin, journey=imported, now=later)

    assert walk.walked == public_services() - set(NOT_WALKED)
    assert {"task.offered", "task.withdrawn", "instance.completed"} <= set(walk.seen)
    assert {name for name in walk.seen if not name.startswith("test.")} <= set(AUDIT_EVENT_TYPES)


def test_nothing_is_exempt_from_the_walk_without_a_reason() -> None:
    assert set(NOT_WALKED) <= public_services()
