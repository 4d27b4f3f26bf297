"""Generated case histories with known answers: instances of a journey version with their work
items (created, started, completed at chosen moments), history events and end states."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from processes.models import (
    InstanceEvent,
    InstanceStatus,
    Journey,
    JourneyVersion,
    ProcessInstance,
    VersionStatus,
)
from tasks.models import Role, Task, TaskStatus


@dataclass(frozen=True)
class Step:
    """One work item: its element, role key, who did it, and how long it waited and took."""

    element: str
    role: str | None = None
    user: Any = None
    wait: float = 60.0
    work: float = 600.0
    done: bool = True


def record_case(
    version: JourneyVersion,
    steps: Sequence[Step],
    *,
    start: datetime,
    status: str = InstanceStatus.COMPLETED,
    extra_events: Sequence[tuple[str, str]] = (),
    data: dict[str, Any] | None = None,
    business_key: str = "",
) -> ProcessInstance:
    """An instance that ran ``steps`` one after the other from ``start``; the last step is left
    open when its ``done`` is False. ``extra_events`` are (kind, element) history events."""
    instance = ProcessInstance.objects.create(
        version=version,
        status=status,
        started_at=start,
        data=data or {},
        business_key=business_key,
    )
    InstanceEvent.objects.create(
        instance=instance, kind="started", at=start, detail={"version": version.number}
    )
    moment = start
    roles = {role.key: role for role in Role.objects.all()}
    for step in steps:
        created = moment
        started = created + timedelta(seconds=step.wait)
        completed = started + timedelta(seconds=step.work)
        Task.objects.create(
            instance=instance,
            element_id=step.element,
            name=step.element,
            role=roles.get(step.role or ""),
            assignee=step.user,
            status=TaskStatus.COMPLETED if step.done else TaskStatus.STARTED,
            created_at=created,
            claimed_at=started if step.user is not None else None,
            started_at=started,
            completed_at=completed if step.done else None,
            completed_by=step.user if step.done else None,
        )
        if step.done:
            InstanceEvent.objects.create(
                instance=instance,
                kind="task_completed",
                element_id=step.element,
                at=completed,
                actor=step.user,
            )
            moment = completed
    for kind, element in extra_events:
        InstanceEvent.objects.create(instance=instance, kind=kind, element_id=element, at=moment)
    if status in (InstanceStatus.COMPLETED, InstanceStatus.CANCELLED, InstanceStatus.TERMINATED):
        instance.ended_at = moment
        instance.save(update_fields=["ended_at"])
        InstanceEvent.objects.create(instance=instance, kind=status, at=moment)
    return instance


def loan_history(users: dict[str, Any], *, count: int = 40) -> Journey:
    """``count`` completed loans over the last two weeks: every fourth went to an underwriter.
    Capturing takes 10 minutes, checking documents 30, underwriting 2 hours."""
    journey = Journey.objects.get(key="loan-application")
    version = journey.versions.get(status=VersionStatus.PUBLISHED)
    now = timezone.now()
    for number in range(count):
        steps = [
            Step("Task_Capture", "loan-officers", users["ana"], wait=60, work=600),
            Step("Task_Documents", "loan-officers", users["ben"], wait=120, work=1800),
        ]
        if number % 4 == 0:
            steps.append(Step("Task_Underwrite", "underwriters", users["carla"], work=7200))
        record_case(
            version,
            steps,
            start=now - timedelta(days=14) + timedelta(hours=8 * number),
            data={"amount": 90_000 if number % 4 == 0 else 10_000, "documents_ok": True},
        )
    return journey
