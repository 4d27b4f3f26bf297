"""Every change to journeys and their versions: each service checks first, then writes."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from guardian.shortcuts import assign_perm, remove_perm

from processes import permissions
from processes.bpmn.importer import import_definitions
from processes.bpmn.xml import BpmnSyntaxError, ProcessSummary, parse_definitions, process_summaries
from processes.engine.validate import validate
from processes.models import VERSION_TRANSITIONS, Journey, JourneyVersion, VersionStatus
from tasks.models import Role
from workflow_site.errors import ApplicationError, ConflictError

JOURNEY_PERMISSIONS = {
    "start": permissions.START,
    "design": permissions.DESIGN,
    "view": permissions.VIEW,
}


def check_bpmn(*, bpmn_xml: str) -> list[ProcessSummary]:
    """The processes of a BPMN document, or a 400 naming ``bpmn_xml`` and what is wrong with it."""
    try:
        definitions = parse_definitions(bpmn_xml)
    except BpmnSyntaxError as exc:
        details = {"line": exc.line} if exc.line else {}
        raise ApplicationError("invalid_bpmn", str(exc), field="bpmn_xml", details=details) from exc
    processes = process_summaries(definitions)
    if not processes:
        raise ApplicationError(
            "invalid_bpmn", "The BPMN document declares no process.", field="bpmn_xml"
        )
    return processes


def _check_permission(user: Any, permission: str, journey: Journey | None = None) -> None:
    allowed = (
        permissions.can(user, permission, journey)
        if journey is not None
        else bool(user is not None and user.is_active and user.has_perm(permission))
    )
    if not allowed:
        raise ApplicationError(
            "permission_denied",
            "You are not allowed to do this.",
            details={"permission": permission},
        )


@transaction.atomic
def journey_create(
    *, actor: Any, key: str, name: str, description: str = "", bpmn_xml: str
) -> Journey:
    """Create a journey with its first draft (version 1). The actor may design it from then on."""
    _check_permission(actor, "processes.add_journey")
    check_bpmn(bpmn_xml=bpmn_xml)
    if not name.strip():
        raise ApplicationError("required", "A journey needs a name.", field="name")
    if Journey.objects.filter(key=key).exists():
        raise ApplicationError(
            "duplicate_key", f"A journey with key {key!r} already exists.", field="key"
        )
    journey = Journey.objects.create(
        key=key, name=name.strip(), description=description, created_by=actor
    )
    JourneyVersion.objects.create(journey=journey, number=1, bpmn_xml=bpmn_xml, created_by=actor)
    assign_perm(permissions.DESIGN, actor, journey)
    return journey


def _locked_journey(journey: Journey) -> Journey:
    return Journey.objects.select_for_update(of=("self",)).get(pk=journey.pk)


@transaction.atomic
def journey_draft_save(
    *, actor: Any, journey: Journey, bpmn_xml: str, expected_lock_version: int | None
) -> JourneyVersion:
    """Save the journey's draft, starting a new numbered draft if it has none.

    ``expected_lock_version`` is the draft's ``lock_version`` the editor started from (``None`` when
    it started from no draft); a different one means someone else saved in between: 409.
    """
    _check_permission(actor, permissions.DESIGN, journey)
    check_bpmn(bpmn_xml=bpmn_xml)
    journey = _locked_journey(journey)
    draft = journey.versions.filter(status=VersionStatus.DRAFT).first()
    if draft is None:
        if expected_lock_version is not None:
            raise ConflictError(
                "draft_conflict",
                "The draft you edited has been published or discarded meanwhile.",
                field="lock_version",
            )
        number = (journey.versions.aggregate(top=Max("number"))["top"] or 0) + 1
        return JourneyVersion.objects.create(
            journey=journey, number=number, bpmn_xml=bpmn_xml, created_by=actor
        )
    if expected_lock_version != draft.lock_version:
        raise ConflictError(
            "draft_conflict",
            "Someone else saved this draft after you opened it; reload it and redo your changes.",
            field="lock_version",
            details={"current_lock_version": draft.lock_version},
        )
    draft.bpmn_xml = bpmn_xml
    draft.lock_version += 1
    draft.updated_at = timezone.now()
    draft.save(update_fields=["bpmn_xml", "lock_version", "updated_at"])
    return draft


def check_executable(*, bpmn_xml: str) -> None:
    """Refuse a process the engine cannot run, listing every error finding by element."""
    check_bpmn(bpmn_xml=bpmn_xml)
    findings = validate(import_definitions(bpmn_xml))
    errors = [finding for finding in findings if finding.severity == "error"]
    if errors:
        first = errors[0]
        raise ApplicationError(
            "invalid_process",
            f"The process has {len(errors)} error(s); the first: {first.element_id}: "
            f"{first.message}",
            field="bpmn_xml",
            details={"findings": [finding.as_dict() for finding in findings]},
        )


@transaction.atomic
def journey_version_publish(*, actor: Any, version: JourneyVersion) -> JourneyVersion:
    """Publish a draft as an immutable numbered version; new instances start on it.

    A version with validation errors is refused: what is published must run.
    """
    _check_permission(actor, permissions.DESIGN, version.journey)
    _locked_journey(version.journey)
    version = JourneyVersion.objects.select_for_update(of=("self",)).get(pk=version.pk)
    VERSION_TRANSITIONS.check(version.status, VersionStatus.PUBLISHED)
    check_executable(bpmn_xml=version.bpmn_xml)
    version.status = VersionStatus.PUBLISHED
    version.published_by = actor
    version.published_at = timezone.now()
    version.save(update_fields=["status", "published_by", "published_at"])
    return version


@transaction.atomic
def journey_version_retire(*, actor: Any, version: JourneyVersion) -> JourneyVersion:
    """Retire a published version: no new instances start on it; running ones carry on."""
    _check_permission(actor, permissions.DESIGN, version.journey)
    version = JourneyVersion.objects.select_for_update(of=("self",)).get(pk=version.pk)
    VERSION_TRANSITIONS.check(version.status, VersionStatus.RETIRED)
    version.status = VersionStatus.RETIRED
    version.retired_by = actor
    version.retired_at = timezone.now()
    version.save(update_fields=["status", "retired_by", "retired_at"])
    return version


def _journey_permission(action: str) -> str:
    try:
        return JOURNEY_PERMISSIONS[action]
    except KeyError:
        raise ApplicationError(
            "invalid_choice",
            f"Unknown journey permission {action!r}; use one of {sorted(JOURNEY_PERMISSIONS)}.",
            field="permission",
        ) from None


@transaction.atomic
def journey_permission_grant(*, actor: Any, journey: Journey, role: Role, action: str) -> None:
    """Let every member of ``role`` ``action`` (start, design or view) this journey."""
    permission = _journey_permission(action)
    _check_permission(actor, permissions.DESIGN, journey)
    assign_perm(permission, role.group, journey)


@transaction.atomic
def journey_permission_revoke(*, actor: Any, journey: Journey, role: Role, action: str) -> None:
    permission = _journey_permission(action)
    _check_permission(actor, permissions.DESIGN, journey)
    remove_perm(permission, role.group, journey)


@transaction.atomic
def journey_update(*, actor: Any, journey: Journey, name: str, description: str) -> Journey:
    """Rename a journey or change its description."""
    _check_permission(actor, permissions.DESIGN, journey)
    if not name.strip():
        raise ApplicationError("required", "A journey needs a name.", field="name")
    journey.name = name.strip()
    journey.description = description
    journey.save(update_fields=["name", "description"])
    return journey
