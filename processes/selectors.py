"""Reads of journeys and versions that are more than a plain get."""

from __future__ import annotations

from typing import Any

from django.db.models import IntegerField, OuterRef, QuerySet, Subquery

from processes import permissions
from processes.models import Journey, JourneyVersion, VersionStatus


def _latest_published_number() -> Subquery:
    return Subquery(
        JourneyVersion.objects.filter(journey=OuterRef("pk"), status=VersionStatus.PUBLISHED)
        .order_by("-number")
        .values("number")[:1],
        output_field=IntegerField(),
    )


def journeys_startable_by(*, user: Any) -> QuerySet[Journey]:
    """Journeys ``user`` may start that have a published version, with ``published_number``."""
    return (
        permissions.journeys_with(user, [permissions.START])
        .annotate(published_number=_latest_published_number())
        .filter(published_number__isnull=False)
        .order_by("name", "pk")
    )


def journeys_visible_to(*, user: Any) -> QuerySet[Journey]:
    """Journeys ``user`` may see (view, start or design), with ``published_number``."""
    return (
        permissions.journeys_with(user, [permissions.VIEW, permissions.START, permissions.DESIGN])
        .annotate(published_number=_latest_published_number())
        .order_by("name", "pk")
    )


def journey_version_latest_published(*, journey: Journey) -> JourneyVersion | None:
    return journey.versions.filter(status=VersionStatus.PUBLISHED).order_by("-number").first()


def journey_version_draft(*, journey: Journey) -> JourneyVersion | None:
    return journey.versions.filter(status=VersionStatus.DRAFT).first()


def journey_by_key(*, key: str) -> Journey | None:
    return Journey.objects.filter(key=key).first()
