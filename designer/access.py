"""Permission-checked fetches for the designer: a journey someone may not design, and its
scenarios, are the same 404 as ones that do not exist (and a denied access in the audit trail)."""

from __future__ import annotations

from typing import Any

from django.http import Http404

from designer.models import Scenario
from monitoring.services import audit_access_denied
from processes import permissions
from processes.access import access_journey
from processes.models import Journey


def access_journey_for_design(*, user: Any, journey_id: int) -> Journey:
    """The journey if ``user`` may design it; otherwise a 404."""
    journey = access_journey(user=user, journey_id=journey_id)
    if not permissions.can(user, permissions.DESIGN, journey):
        audit_access_denied(
            user=user, object_type="journey", object_id=journey.pk, journey_id=journey.pk
        )
        raise Http404("No such journey.")
    return journey


def access_scenario(*, user: Any, journey_id: int, scenario_id: int) -> Scenario:
    """A scenario of a journey ``user`` may design; otherwise a 404."""
    journey = access_journey_for_design(user=user, journey_id=journey_id)
    scenario = Scenario.objects.filter(journey=journey, pk=scenario_id).first()
    if scenario is None:
        raise Http404("No such scenario.")
    scenario.journey = journey
    return scenario
