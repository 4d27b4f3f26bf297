"""Designer services: permission first, then the write and its audit event."""

from __future__ import annotations

from typing import Any

import pytest

from designer import services
from monitoring.models import AuditEvent
from tests.factories import UserFactory
from workflow_site.errors import ApplicationError

pytestmark = pytest.mark.django_db

SCRIPT: dict[str, Any] = {"events": []}


def test_only_designers_of_the_journey_may_change_its_scenarios(designer: Any) -> None:
    journey = services.journey_start_blank(actor=designer, name="Guarded")
    scenario = services.scenario_create(
        actor=designer, journey=journey, name="t", script=SCRIPT, expect=[{"state": "running"}]
    )
    stranger = UserFactory(username="stranger")
    before = AuditEvent.objects.count()
    for attempt in (
        lambda: services.scenario_create(
            actor=stranger, journey=journey, name="u", script=SCRIPT, expect=[]
        ),
        lambda: services.scenario_update(
            actor=stranger, scenario=scenario, name="t", script=SCRIPT, expect=[]
        ),
        lambda: services.scenario_delete(actor=stranger, scenario=scenario),
    ):
        with pytest.raises(ApplicationError) as caught:
            attempt()
        assert caught.value.code == "permission_denied"
    assert AuditEvent.objects.count() == before


def test_a_blank_journey_is_created_through_the_journey_service(designer: Any) -> None:
    journey = services.journey_start_blank(actor=designer, name="Audited", description="d")
    event = AuditEvent.objects.get(type="journey.created")
    assert (event.journey_id, event.actor_id) == (journey.pk, designer.pk)
    assert journey.description == "d"


@pytest.mark.parametrize(
    ("name", "code"), [("", "required"), ("  ", "required"), ("x" * 201, "too_long")]
)
def test_a_scenario_needs_a_short_name(designer: Any, name: str, code: str) -> None:
    journey = services.journey_start_blank(actor=designer, name="Named")
    with pytest.raises(ApplicationError) as caught:
        services.scenario_create(
            actor=designer, journey=journey, name=name, script=SCRIPT, expect=[]
        )
    assert (caught.value.code, caught.value.field) == (code, "name")
