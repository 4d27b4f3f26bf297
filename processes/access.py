"""Permission-checked fetches: the only way views reach a journey or version by id."""

from __future__ import annotations

from typing import Any

from django.http import Http404

from processes import selectors
from processes.models import Journey, ProcessInstance


def access_journey(*, user: Any, journey_id: int, for_update: bool = False) -> Journey:
    """The journey if ``user`` may see it; otherwise the same 404 as for an unknown id."""
    queryset = selectors.journeys_visible_to(user=user).filter(pk=journey_id)
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    journey = queryset.first()
    if journey is None:
        raise Http404("No such journey.")
    return journey


def access_instance(*, user: Any, instance_id: int) -> ProcessInstance:
    """The instance if ``user`` may see it; otherwise the same 404 as for an unknown id."""
    instance = selectors.instances_visible_to(user=user).filter(pk=instance_id).first()
    if instance is None:
        raise Http404("No such process instance.")
    return instance
