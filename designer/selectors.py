"""Reads for the designer: the journeys someone may design, what the editor opens, validation of
the diagram being edited, the diff shown before publishing, and running saved scenarios."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from designer.diff import bpmn_diff
from designer.models import Scenario
from designer.scenarios import run_scenario
from designer.simulation import engine_for_document
from processes import permissions
from processes import selectors as journey_selectors
from processes.bpmn.importer import import_definitions
from processes.engine.expressions import ExpressionError, compile_expression
from processes.engine.timers import TimerError, check_timer
from processes.engine.validate import has_errors, validate
from processes.models import Journey, JourneyVersion, VersionStatus
from processes.services import check_bpmn
from workflow_site.errors import ApplicationError, NotFoundError

CHECK_KINDS = ("expression", "duration", "date", "cycle")


def journeys_designable_by(*, user: Any) -> QuerySet[Journey]:
    """Journeys ``user`` may design, with ``published_number``, by name."""
    designable = permissions.journeys_with(user, [permissions.DESIGN]).values("pk")
    return journey_selectors.journeys_visible_to(user=user).filter(pk__in=designable)


@dataclass(frozen=True)
class EditorSource:
    """What the designer opens: the draft, or else the latest version to start a draft from."""

    bpmn_xml: str
    #: The draft's lock_version; None when there is no draft (saving starts one).
    lock_version: int | None
    #: The number of the version shown.
    number: int
    status: str


def editor_source(*, journey: Journey) -> EditorSource | None:
    """The draft if there is one, else the newest version (a draft is started from it)."""
    version = (
        journey_selectors.journey_version_draft(journey=journey)
        or JourneyVersion.objects.filter(journey=journey).order_by("-number").first()
    )
    if version is None:
        return None
    return EditorSource(
        bpmn_xml=version.bpmn_xml,
        lock_version=version.lock_version if version.status == VersionStatus.DRAFT else None,
        number=version.number,
        status=version.status,
    )


def document_findings(*, bpmn_xml: str) -> dict[str, Any]:
    """``{"valid", "findings"}`` of the diagram being edited: the checks publishing runs."""
    check_bpmn(bpmn_xml=bpmn_xml)
    definitions = import_definitions(bpmn_xml)
    findings = validate(definitions) + journey_selectors.form_findings(definitions)
    findings.sort(key=lambda finding: finding.severity != "error")
    return {
        "valid": not has_errors(findings),
        "findings": [finding.as_dict() for finding in findings],
    }


def check_text(*, kind: str, text: str) -> dict[str, Any]:
    """Whether ``text`` is a valid condition expression or timer value, and if not, why."""
    if kind not in CHECK_KINDS:
        raise ApplicationError(
            "invalid_choice", f"kind must be one of {', '.join(CHECK_KINDS)}.", field="kind"
        )
    if kind == "expression":
        try:
            expression = compile_expression(text)
        except ExpressionError as error:
            return {
                "valid": False,
                "message": error.message,
                "offset": error.offset,
                "names": [],
            }
        return {"valid": True, "message": "", "offset": None, "names": sorted(expression.names)}
    try:
        check_timer(kind, text)
    except TimerError as error:
        return {"valid": False, "message": str(error), "offset": None, "names": []}
    return {"valid": True, "message": "", "offset": None, "names": []}


def _version(journey: Journey, reference: int | str) -> JourneyVersion:
    versions = JourneyVersion.objects.filter(journey=journey)
    if reference == "draft":
        found = versions.filter(status=VersionStatus.DRAFT).first()
    else:
        found = versions.filter(number=reference).first()
    if found is None:
        raise NotFoundError("no_version", "The journey has no such version.", field="version")
    return found


def version_diff(*, journey: Journey, version: int | str = "draft") -> dict[str, Any]:
    """What ``version`` (a number or ``"draft"``) changes from the version published before it."""
    target = _version(journey, version)
    previous = (
        JourneyVersion.objects.filter(
            journey=journey,
            number__lt=target.number,
            status__in=[VersionStatus.PUBLISHED, VersionStatus.RETIRED],
        )
        .order_by("-number")
        .first()
    )
    diff = bpmn_diff(previous.bpmn_xml if previous is not None else None, target.bpmn_xml)
    return {
        "version": target.number,
        "status": target.status,
        "previous": previous.number if previous is not None else None,
        **diff,
    }


def scenarios_of(*, journey: Journey) -> QuerySet[Scenario]:
    return Scenario.objects.filter(journey=journey).order_by("name", "pk")


def scenarios_run(
    *, journey: Journey, bpmn_xml: str | None = None, scenario_ids: list[int] | None = None
) -> dict[str, Any]:
    """Run the journey's scenarios (or those named) against ``bpmn_xml`` (else what the editor
    would open): ``{"passed", "failed", "results": [...]}``."""
    if bpmn_xml is None:
        source = editor_source(journey=journey)
        if source is None:
            raise NotFoundError("no_version", "The journey has no version to test.")
        bpmn_xml = source.bpmn_xml
    # The same 400s as a dry run for a document the engine cannot run at all.
    definitions = engine_for_document(bpmn_xml).definitions
    scenarios = scenarios_of(journey=journey)
    if scenario_ids is not None:
        scenarios = scenarios.filter(pk__in=scenario_ids)
    results = []
    for scenario in scenarios:
        outcome = run_scenario(definitions, script=scenario.script, expect=scenario.expect)
        results.append({"id": scenario.pk, "name": scenario.name, **outcome})
    passed = sum(1 for result in results if result["passed"])
    return {"passed": passed, "failed": len(results) - passed, "results": results}


def role_choices() -> list[dict[str, str]]:
    """Every role, for the role field of the properties panel."""
    from tasks.models import Role

    return [
        {"key": key, "name": name}
        for key, name in Role.objects.order_by("key").values_list("key", "name")
    ]
