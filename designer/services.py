"""Every change the designer makes that is its own: saved test scenarios. Drafts, publishing and
journeys are changed through ``processes.services``."""

from __future__ import annotations

import re
from typing import Any
from xml.sax.saxutils import quoteattr

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from designer.models import Scenario
from designer.scenarios import check_scenario
from monitoring import services as audit
from processes import permissions
from processes import services as journey_services
from processes.models import Journey
from workflow_site.errors import ApplicationError

MAX_NAME_LENGTH = 200


_BLANK_DOCUMENT = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" \
xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" \
xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" \
xmlns:di="http://www.omg.org/spec/DD/20100524/DI" \
xmlns:itn="urn:itinera:bpmn:1" id="Definitions_{ident}" targetNamespace="urn:itinera:journeys" \
exporter="Itinera" exporterVersion="1">
  <bpmn:process id="{process}" name={name} isExecutable="true" />
  <bpmndi:BPMNDiagram id="{process}_Diagram">
    <bpmndi:BPMNPlane id="{process}_Plane" bpmnElement="{process}" />
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
"""


def blank_document(*, key: str, name: str) -> str:
    """A BPMN document with one empty executable process: the empty canvas of a new journey."""
    ident = re.sub(r"[^A-Za-z0-9_]", "_", key) or "journey"
    return _BLANK_DOCUMENT.format(ident=ident, process=f"Process_{ident}", name=quoteattr(name))


@transaction.atomic
def journey_start_blank(*, actor: Any, name: str, key: str = "", description: str = "") -> Journey:
    """Create a journey whose first draft is an empty canvas; the key defaults to the slugified
    name."""
    key = key.strip() or slugify(name)[:100]
    if not key:
        raise ApplicationError(
            "required", "Give the journey a key; none can be made from its name.", field="key"
        )
    return journey_services.journey_create(
        actor=actor,
        key=key,
        name=name,
        description=description,
        bpmn_xml=blank_document(key=key, name=name.strip()),
    )


def _check_design(actor: Any, journey: Journey) -> None:
    if not permissions.can(actor, permissions.DESIGN, journey):
        raise ApplicationError(
            "permission_denied",
            "You are not allowed to do this.",
            details={"permission": permissions.DESIGN},
        )


def _check_name(journey: Journey, name: str, scenario_id: int | None = None) -> str:
    name = name.strip()
    if not name:
        raise ApplicationError("required", "A scenario needs a name.", field="name")
    if len(name) > MAX_NAME_LENGTH:
        raise ApplicationError(
            "too_long", f"A name has at most {MAX_NAME_LENGTH} characters.", field="name"
        )
    others = Scenario.objects.filter(journey=journey, name=name)
    if scenario_id is not None:
        others = others.exclude(pk=scenario_id)
    if others.exists():
        raise ApplicationError(
            "duplicate_name", f"The journey already has a scenario named {name!r}.", field="name"
        )
    return name


def _audit(type: str, actor: Any, scenario: Scenario, **values: Any) -> None:
    audit.audit_record(
        type=type,
        actor=actor,
        object_type="scenario",
        object_id=scenario.pk,
        journey_id=scenario.journey_id,
        **values,
    )


def _snapshot(scenario: Scenario) -> dict[str, Any]:
    return {
        "name": scenario.name,
        "description": scenario.description,
        "script": scenario.script,
        "expect": scenario.expect,
    }


@transaction.atomic
def scenario_create(
    *,
    actor: Any,
    journey: Journey,
    name: str,
    description: str = "",
    script: Any,
    expect: Any,
) -> Scenario:
    """Save a test scenario with the journey (the actor must be allowed to design it)."""
    _check_design(actor, journey)
    Journey.objects.select_for_update(of=("self",)).filter(pk=journey.pk).first()
    name = _check_name(journey, name)
    check_scenario(script=script, expect=expect)
    scenario = Scenario.objects.create(
        journey=journey,
        name=name,
        description=description,
        script=script,
        expect=expect,
        created_by=actor,
        updated_by=actor,
    )
    _audit("scenario.created", actor, scenario, after=_snapshot(scenario))
    return scenario


@transaction.atomic
def scenario_update(
    *,
    actor: Any,
    scenario: Scenario,
    name: str,
    description: str = "",
    script: Any,
    expect: Any,
) -> Scenario:
    """Replace a scenario's name, description, script and expectations."""
    _check_design(actor, scenario.journey)
    Journey.objects.select_for_update(of=("self",)).filter(pk=scenario.journey_id).first()
    name = _check_name(scenario.journey, name, scenario.pk)
    check_scenario(script=script, expect=expect)
    before = _snapshot(scenario)
    scenario.name = name
    scenario.description = description
    scenario.script = script
    scenario.expect = expect
    scenario.updated_by = actor
    scenario.updated_at = timezone.now()
    scenario.save(
        update_fields=["name", "description", "script", "expect", "updated_by", "updated_at"]
    )
    _audit("scenario.updated", actor, scenario, before=before, after=_snapshot(scenario))
    return scenario


@transaction.atomic
def scenario_delete(*, actor: Any, scenario: Scenario) -> None:
    """Delete a scenario; the audit event keeps what it was."""
    _check_design(actor, scenario.journey)
    _audit("scenario.deleted", actor, scenario, before=_snapshot(scenario))
    scenario.delete()
