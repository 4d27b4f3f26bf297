"""What the SLA, escalation and dashboard tests share: a journey with SLAs, business calendars,
and a clock the test sets."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time
from typing import Any

import pytest
from django.utils import timezone
from guardian.shortcuts import assign_perm

from monitoring import sla
from monitoring.sla_models import (
    BusinessCalendar,
    Holiday,
    JourneyCalendar,
    RoleCalendar,
    WorkingPeriod,
)
from processes import services as process_services
from processes.models import Journey

CLAIMS_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:itn="urn:itinera:bpmn:1" id="Defs" targetNamespace="urn:itinera:test">
  <bpmn:message id="Msg_Reply" name="customer reply" />
  <bpmn:process id="Claims" name="Claims" isExecutable="true" itn:sla="P2D" itn:warnAt="0.5"
      itn:slaPauseOn="customer reply" itn:escalation="raise-priority notify">
    <bpmn:startEvent id="Start" />
    <bpmn:parallelGateway id="Split" />
    <bpmn:userTask id="Review" name="Review the claim" itn:role="clerks" itn:sla="PT8H"
        itn:warnAt="PT6H" itn:slaPauseOn="customer reply"
        itn:escalation="raise-priority reassign-manager notify" />
    <bpmn:userTask id="Ask" name="Ask the customer" itn:role="clerks" />
    <bpmn:intermediateCatchEvent id="Reply">
      <bpmn:messageEventDefinition messageRef="Msg_Reply" />
    </bpmn:intermediateCatchEvent>
    <bpmn:parallelGateway id="Join" />
    <bpmn:endEvent id="End" />
    <bpmn:sequenceFlow id="F1" sourceRef="Start" targetRef="Split" />
    <bpmn:sequenceFlow id="F2" sourceRef="Split" targetRef="Review" />
    <bpmn:sequenceFlow id="F3" sourceRef="Split" targetRef="Ask" />
    <bpmn:sequenceFlow id="F4" sourceRef="Ask" targetRef="Reply" />
    <bpmn:sequenceFlow id="F5" sourceRef="Review" targetRef="Join" />
    <bpmn:sequenceFlow id="F6" sourceRef="Reply" targetRef="Join" />
    <bpmn:sequenceFlow id="F7" sourceRef="Join" targetRef="End" />
  </bpmn:process>
</bpmn:definitions>
"""

#: One task with an SLA and an escalation: a sequence Check → Approve → end.
SIMPLE_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:itn="urn:itinera:bpmn:1" id="Defs" targetNamespace="urn:itinera:test">
  <bpmn:process id="Simple" name="{name}" isExecutable="true"{process_sla}>
    <bpmn:startEvent id="Start" />
    <bpmn:userTask id="Check" name="Check" itn:role="{role}"{check_sla} />
    <bpmn:userTask id="Approve" name="Approve" itn:role="{role}" />
    <bpmn:endEvent id="End" />
    <bpmn:sequenceFlow id="F1" sourceRef="Start" targetRef="Check" />
    <bpmn:sequenceFlow id="F2" sourceRef="Check" targetRef="Approve" />
    <bpmn:sequenceFlow id="F3" sourceRef="Approve" targetRef="End" />
  </bpmn:process>
</bpmn:definitions>
"""


def simple_bpmn(
    *, name: str = "Simple", role: str = "clerks", check_sla: str = "", process_sla: str = ""
) -> str:
    return SIMPLE_BPMN.format(
        name=name,
        role=role,
        check_sla=f" {check_sla}" if check_sla else "",
        process_sla=f" {process_sla}" if process_sla else "",
    )


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


class Clock:
    """``timezone.now()`` for the code under test, moved by the test."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def set(self, text: str) -> datetime:
        self.moment = utc(text)
        return self.moment

    def __call__(self) -> datetime:
        return self.moment


def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Set ``timezone.now`` for the test (model field defaults keep the real clock)."""
    frozen = Clock(utc("2024-10-21T07:00"))
    monkeypatch.setattr(timezone, "now", frozen)
    return frozen


def office_calendar(
    name: str = "Berlin office", holidays: tuple[str, ...] = ()
) -> BusinessCalendar:
    """Monday to Friday 09:00-17:00 in Berlin, 8-hour business days."""
    calendar = BusinessCalendar.objects.create(name=name, time_zone="Europe/Berlin")
    for weekday in range(5):
        WorkingPeriod.objects.create(
            calendar=calendar, weekday=weekday, start=time(9), end=time(17)
        )
    for day in holidays:
        Holiday.objects.create(calendar=calendar, date=day, name="holiday")
    sla.calendar_compile(calendar=calendar)
    return calendar


def publish(designer: Any, key: str, bpmn_xml: str, *, starters: tuple[Any, ...] = ()) -> Journey:
    journey = process_services.journey_create(
        actor=designer, key=key, name=key.title(), bpmn_xml=bpmn_xml
    )
    process_services.journey_version_publish(actor=designer, version=journey.versions.get())
    for role in starters:
        assign_perm("processes.start_journey", role.group, journey)
    return journey


def give_calendar(calendar: BusinessCalendar, *, role: Any = None, journey: Any = None) -> None:
    if role is not None:
        RoleCalendar.objects.create(role=role, calendar=calendar)
    if journey is not None:
        JourneyCalendar.objects.create(journey=journey, calendar=calendar)


def run_on_commit(capture: Callable[..., Any]) -> Any:
    """``django_capture_on_commit_callbacks(execute=True)``: jobs enqueued on commit run."""
    return capture(execute=True)
