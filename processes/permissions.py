"""Who may do what with a journey: global model permissions or per-journey ones (guardian)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from processes.models import Journey
from workflow_site import permissions as shared

START = "processes.start_journey"
DESIGN = "processes.design_journey"
VIEW = "processes.view_journey"


def can(user: Any, permission: str, journey: Journey) -> bool:
    """True when ``user`` holds ``permission`` globally or on this journey."""
    return shared.can(user, permission, journey)


def journeys_with(user: Any, permissions: list[str]) -> QuerySet[Journey]:
    """Journeys on which ``user`` holds any of ``permissions``, globally or per journey."""
    return shared.objects_with(user, permissions, Journey)
