"""Cancellation: WCP-19 Cancel Task, WCP-25 Cancel Region (sub-process with an interrupting
boundary event, and itn:cancels)."""

from __future__ import annotations

from tests.patterns.support import bpmn, chain, run, tasks, view

MESSAGES = '<message id="m_abort" name="abort"/>'


def test_wcp19_cancel_event_withdraws_the_task_without_passing_on() -> None:
    xml = bpmn(
        '<startEvent id="S"/>' + tasks("A", "B") + '<endEvent id="E"/>' + chain("S", "A", "B", "E")
    )
    lines = run(xml, [{"cancel": "A"}, {"complete": "A"}])
    assert view(lines[1]) == ("completed", {}, {})
    assert lines[2]["ok"] is False


def test_wcp19_interrupting_boundary_routes_to_the_exception_path() -> None:
    xml = bpmn(
        '<startEvent id="S"/>'
        + tasks("A", "Next", "Handle")
        + '<boundaryEvent id="Abort" attachedToRef="A">'
        '<messageEventDefinition messageRef="m_abort"/></boundaryEvent>'
        '<endEvent id="E"/><endEvent id="E2"/>'
        + chain("S", "A", "Next", "E")
        + chain("Abort", "Handle", "E2"),
        extra=MESSAGES,
    )
    lines = run(
        xml, [{"start": "A"}, {"message": "abort"}, {"complete": "A"}, {"complete": "Handle"}]
    )
    assert lines[1]["waiting"] == ["message:abort"]
    assert view(lines[2]) == ("running", {"Handle": 1}, {})
    assert lines[2]["waiting"] == []
    assert lines[3]["ok"] is False
    assert view(lines[4]) == ("completed", {}, {"Handle": 1})


def test_wcp25_cancel_region_sub_process_with_boundary() -> None:
    xml = bpmn(
        '<startEvent id="S"/><subProcess id="Region"><startEvent id="RS"/>'
        '<parallelGateway id="RSplit"/>'
        + tasks("R1", "R2")
        + '<endEvent id="RE1"/><endEvent id="RE2"/>'
        + chain("RS", "RSplit", "R1", "RE1")
        + chain("RSplit", "R2", "RE2")
        + '</subProcess><boundaryEvent id="Stop" attachedToRef="Region"><timerEventDefinition>'
        "<timeDuration>PT2H</timeDuration></timerEventDefinition></boundaryEvent>"
        + tasks("Outside", "Cleanup")
        + '<parallelGateway id="Split"/><endEvent id="E"/><endEvent id="E2"/><endEvent id="E3"/>'
        + chain("S", "Split", "Region", "E")
        + chain("Split", "Outside", "E3")
        + chain("Stop", "Cleanup", "E2")
    )
    lines = run(xml, [{"complete": "R1"}, {"advance": "PT2H"}, {"complete": "R2"}])
    assert view(lines[0]) == ("running", {"Outside": 1, "R1": 1, "R2": 1}, {})
    assert view(lines[2]) == ("running", {"Cleanup": 1, "Outside": 1}, {"R1": 1})
    assert lines[3]["ok"] is False


def test_wcp25_cancel_region_with_itn_cancels() -> None:
    # When Decide completes, the region {B, C} is withdrawn wherever its tokens are.
    xml = bpmn(
        '<startEvent id="S"/><parallelGateway id="Split"/>'
        '<userTask id="Decide" itn:cancels="B C"/>'
        + tasks("A", "B", "C", "D")
        + '<endEvent id="E1"/><endEvent id="E2"/>'
        + chain("S", "Split", "A", "B", "C", "E1")
        + chain("Split", "Decide", "D", "E2")
    )
    lines = run(xml, [{"complete": "A"}, {"complete": "Decide"}, {"complete": "B"}])
    assert view(lines[1]) == ("running", {"B": 1, "Decide": 1}, {"A": 1})
    assert view(lines[2]) == ("running", {"D": 1}, {"A": 1, "Decide": 1})
    assert lines[3]["ok"] is False
