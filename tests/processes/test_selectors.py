from __future__ import annotations

from typing import Any

import pytest
from guardian.shortcuts import assign_perm

from processes import selectors
from processes.models import VersionStatus
from tests.factories import JourneyFactory, JourneyVersionFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_startable_journeys_need_permission_and_a_published_version(
    worker: Any, worker_role: Any, startable_journey: Any
) -> None:
    draft_only = JourneyVersionFactory(status=VersionStatus.DRAFT).journey
    assign_perm("processes.start_journey", worker_role.group, draft_only)
    JourneyVersionFactory()  # published, but nobody may start it
    journeys = list(selectors.journeys_startable_by(user=worker))
    assert journeys == [startable_journey]
    assert journeys[0].published_number == startable_journey.versions.get().number


def test_latest_published_version_wins(worker: Any, startable_journey: Any) -> None:
    top = JourneyVersionFactory(journey=startable_journey, number=7)
    JourneyVersionFactory(journey=startable_journey, number=8, status=VersionStatus.DRAFT)
    (journey,) = selectors.journeys_startable_by(user=worker)
    assert journey.published_number == top.number == 7


def test_global_permission_and_superusers_see_every_startable_journey(
    startable_journey: Any,
) -> None:
    other = JourneyVersionFactory(journey=JourneyFactory(name="Another")).journey
    global_starter = UserFactory()
    assign_perm("processes.start_journey", global_starter)
    superuser = UserFactory(is_superuser=True)
    for user in (global_starter, superuser):
        assert set(selectors.journeys_startable_by(user=user)) == {startable_journey, other}


def test_anonymous_and_inactive_users_see_nothing(startable_journey: Any, worker: Any) -> None:
    from django.contrib.auth.models import AnonymousUser

    assert list(selectors.journeys_startable_by(user=AnonymousUser())) == []
    worker.is_active = False
    worker.save()
    assert list(selectors.journeys_startable_by(user=worker)) == []
