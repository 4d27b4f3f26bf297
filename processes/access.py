"""Permission-checked fetches: the only way views reach a journey, version, instance or incident
by id. Another user's object is the same 404 as one that does not exist, and is recorded in the
audit trail as a denied access."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.http import Http404

from monitoring.services import audit_access_denied
from processes import selectors
from processes.models import Incident, Journey, JourneyVersion, ProcessInstance, VersionStatus
from workflow_site.errors import ApplicationError, NotFoundError


def access_journey(*, user: Any, journey_id: int, for_update: bool = False) -> Journey:
    """The journey if ``user`` may see it; otherwise the same 404 as for an unknown id."""
    queryset = selectors.journeys_visible_to(user=user).filter(pk=journey_id)
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    journey = queryset.first()
    if journey is None:
        _journey_denied(user, Q(pk=journey_id))
        raise Http404("No such journey.")
    return journey


def _journey_denied(user: Any, which: Q) -> None:
    """Audit the 404 when the journey exists (the user may not see it)."""
    journey_id = Journey.objects.filter(which).values_list("pk", flat=True).first()
    if journey_id is not None:
        audit_access_denied(
            user=user, object_type="journey", object_id=journey_id, journey_id=journey_id
        )


def _instance_denied(user: Any, instance_id: int, object_type: str, object_id: int) -> None:
    """Audit the 404 when the instance exists (the user may not see it)."""
    journey_id = (
        ProcessInstance.objects.filter(pk=instance_id)
        .values_list("version__journey_id", flat=True)
        .first()
    )
    if journey_id is not None:
        audit_access_denied(
            user=user,
            object_type=object_type,
            object_id=object_id,
            instance_id=instance_id,
            journey_id=journey_id,
        )


def access_journey_by_reference(*, user: Any, reference: int | str) -> Journey:
    """The journey named by its id (an int) or its key (a string; digits fall back to the id)."""
    visible = selectors.journeys_visible_to(user=user)
    journey = None
    if isinstance(reference, str):
        journey = visible.filter(key=reference).first()
        if journey is None and reference.isascii() and reference.isdigit():
            reference = int(reference)
    if isinstance(reference, int):
        journey = visible.filter(pk=reference).first()
    if journey is None:
        _journey_denied(user, Q(key=reference) if isinstance(reference, str) else Q(pk=reference))
        raise Http404("No such journey.")
    return journey


def access_journey_version(
    *, user: Any, journey_id: int, number: int, for_update: bool = False
) -> JourneyVersion:
    """Version ``number`` of a journey ``user`` may see. ``for_update`` locks the journey row,
    then the version row (the order the journey services lock in)."""
    journey = access_journey(user=user, journey_id=journey_id, for_update=for_update)
    versions = JourneyVersion.objects.filter(journey=journey, number=number)
    if for_update:
        versions = versions.select_for_update(of=("self",))
    version = versions.first()
    if version is None:
        raise Http404("No such version.")
    version.journey = journey
    return version


def access_journey_draft(*, user: Any, journey_id: int, for_update: bool = False) -> JourneyVersion:
    """The draft of a journey ``user`` may see; a 404 ``no_draft`` when it has none."""
    journey = access_journey(user=user, journey_id=journey_id, for_update=for_update)
    versions = JourneyVersion.objects.filter(journey=journey, status=VersionStatus.DRAFT)
    if for_update:
        versions = versions.select_for_update(of=("self",))
    draft = versions.first()
    if draft is None:
        raise NotFoundError(
            "no_draft",
            "The journey has no draft; save one (with lock_version null) to start one.",
            field="draft",
        )
    draft.journey = journey
    return draft


def access_journey_version_by_reference(
    *, user: Any, journey: int | str, version: int | str | None
) -> JourneyVersion:
    """A version of a journey named by id or key: ``version`` is a number, ``"draft"``, or None
    for the latest published one (a 400 naming ``version`` when there is none)."""
    found = access_journey_by_reference(user=user, reference=journey)
    if version == "draft":
        return access_journey_draft(user=user, journey_id=found.pk)
    if isinstance(version, int):
        return access_journey_version(user=user, journey_id=found.pk, number=version)
    latest = selectors.journey_version_latest_published(journey=found)
    if latest is None:
        raise ApplicationError(
            "not_published", "The journey has no published version.", field="version"
        )
    latest.journey = found
    return latest


def _visible_instance_id(
    user: Any, instance_id: int, for_update: bool, asked_for: tuple[str, int] | None = None
) -> int:
    # The visibility query may be DISTINCT, which cannot be locked: check it, then lock the row.
    found = selectors.instances_visible_to(user=user).filter(pk=instance_id).exists()
    if not found:
        object_type, object_id = asked_for or ("instance", instance_id)
        _instance_denied(user, instance_id, object_type, object_id)
        raise Http404("No such process instance.")
    if for_update:
        ProcessInstance.objects.select_for_update(of=("self",)).filter(pk=instance_id).first()
    return instance_id


def access_instance(*, user: Any, instance_id: int, for_update: bool = False) -> ProcessInstance:
    """The instance if ``user`` may see it; otherwise the same 404 as for an unknown id.
    ``for_update`` locks the instance row (the first lock of every instance change)."""
    if for_update:
        _visible_instance_id(user, instance_id, for_update)
        return ProcessInstance.objects.select_related("version__journey").get(pk=instance_id)
    instance = selectors.instances_visible_to(user=user).filter(pk=instance_id).first()
    if instance is None:
        _instance_denied(user, instance_id, "instance", instance_id)
        raise Http404("No such process instance.")
    return instance


def access_incident(*, user: Any, incident_id: int, for_update: bool = False) -> Incident:
    """An incident of an instance ``user`` may see. ``for_update`` locks that instance's row."""
    instance_id = (
        Incident.objects.filter(pk=incident_id).values_list("instance_id", flat=True).first()
    )
    if instance_id is None:
        raise Http404("No such incident.")
    try:
        _visible_instance_id(user, instance_id, for_update, asked_for=("incident", incident_id))
    except Http404:
        raise Http404("No such incident.") from None
    return Incident.objects.select_related("instance").get(pk=incident_id)
