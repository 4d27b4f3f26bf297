from __future__ import annotations

import pytest

from processes.models import INSTANCE_TRANSITIONS, VERSION_TRANSITIONS, InstanceStatus
from tasks.models import TASK_TRANSITIONS, TaskStatus
from workflow_site.errors import ConflictError


def test_illegal_transition_is_an_error_with_a_code() -> None:
    with pytest.raises(ConflictError) as caught:
        TASK_TRANSITIONS.check(TaskStatus.COMPLETED, TaskStatus.CLAIMED)
    assert caught.value.code == "illegal_transition"
    assert caught.value.details == {"from": "completed", "to": "claimed"}


@pytest.mark.parametrize(
    ("table", "current", "target", "allowed"),
    [
        (TASK_TRANSITIONS, TaskStatus.OFFERED, TaskStatus.CLAIMED, True),
        (TASK_TRANSITIONS, TaskStatus.CLAIMED, TaskStatus.OFFERED, True),
        (TASK_TRANSITIONS, TaskStatus.OFFERED, TaskStatus.COMPLETED, True),
        (TASK_TRANSITIONS, TaskStatus.WAITING, TaskStatus.COMPLETED, False),
        (TASK_TRANSITIONS, TaskStatus.WITHDRAWN, TaskStatus.OFFERED, False),
        (INSTANCE_TRANSITIONS, InstanceStatus.RUNNING, InstanceStatus.SUSPENDED, True),
        (INSTANCE_TRANSITIONS, InstanceStatus.SUSPENDED, InstanceStatus.COMPLETED, False),
        (INSTANCE_TRANSITIONS, InstanceStatus.COMPLETED, InstanceStatus.RUNNING, False),
        (VERSION_TRANSITIONS, "draft", "published", True),
        (VERSION_TRANSITIONS, "retired", "published", False),
    ],
)
def test_transition_tables(table: object, current: str, target: str, allowed: bool) -> None:
    assert table.allowed(current, target) is allowed


def test_final_states() -> None:
    assert TASK_TRANSITIONS.is_final(TaskStatus.COMPLETED)
    assert INSTANCE_TRANSITIONS.is_final(InstanceStatus.CANCELLED)
    assert not INSTANCE_TRANSITIONS.is_final(InstanceStatus.FAILED)
