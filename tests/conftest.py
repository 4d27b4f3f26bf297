from __future__ import annotations

from typing import Any

import pytest
from guardian.shortcuts import assign_perm

from tests.factories import (
    MINIMAL_BPMN,
    JourneyFactory,
    JourneyVersionFactory,
    RoleFactory,
    UserFactory,
)


@pytest.fixture
def minimal_bpmn() -> str:
    return MINIMAL_BPMN


@pytest.fixture
def designer(db: Any) -> Any:
    """A user allowed to create journeys (and so to design the ones they create)."""
    user = UserFactory(username="designer")
    assign_perm("processes.add_journey", user)
    return user


@pytest.fixture
def worker_role(db: Any) -> Any:
    return RoleFactory(key="clerks", name="Clerks")


@pytest.fixture
def worker(worker_role: Any) -> Any:
    user = UserFactory(username="worker")
    user.groups.add(worker_role.group)
    return user


@pytest.fixture
def startable_journey(worker_role: Any) -> Any:
    """A published journey the worker role may start."""
    version = JourneyVersionFactory(
        journey=JourneyFactory(key="onboarding", name="Onboarding"), number=1
    )
    assign_perm("processes.start_journey", worker_role.group, version.journey)
    return version.journey
