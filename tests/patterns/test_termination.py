"""Termination patterns, run through ``play`` scripts.

Covered: WCP-43 Explicit Termination (terminate end event: a successful end that withdraws what is
still open) and WCP-20 Cancel Case (``cancel_case``: an unsuccessful end that withdraws everything).
"""

from __future__ import annotations

from tests.patterns.support import at, bpmn, chain, complete, rejected, run, tasks

RUNNING, COMPLETED, CANCELLED = "running", "completed", "cancelled"
CANCEL_CASE = {"cancel_case": True}


# Three parallel branches: A (then a terminate end event or a plain one), B then C, and a
# sub-process with X then Y; a fourth branch waits for the message "m".
BRANCHES = (
    '<startEvent id="S"/>' + tasks("A", "B", "C") + '<parallelGateway id="G"/>'
    '<subProcess id="Sub"><startEvent id="S2"/><userTask id="X"/><userTask id="Y"/>'
    '<endEvent id="E2"/>' + chain("S2", "X", "Y", "E2") + "</subProcess>"
    '<intermediateCatchEvent id="W"><messageEventDefinition messageRef="m"/>'
    "</intermediateCatchEvent>"
    '<endEvent id="E3"/><endEvent id="E4"/><endEvent id="E5"/>'
    + chain("S", "G", "A", "End")
    + chain("G", "B", "C", "E3")
    + chain("G", "Sub", "E4")
    + chain("G", "W", "E5")
)
MESSAGE = '<message id="m" name="m"/>'
TERMINATING = bpmn(
    BRANCHES + '<endEvent id="End"><terminateEventDefinition/></endEvent>', extra=MESSAGE
)
PLAIN = bpmn(BRANCHES + '<endEvent id="End"/>', extra=MESSAGE)


# ------------------------------------------ WCP-43 Explicit Termination
def test_wcp43_terminate_end_completes_the_case_and_withdraws_the_rest() -> None:
    events = [{"start": "B"}, complete("X"), complete("A")]
    lines = run(TERMINATING, events)
    at(lines[0], RUNNING, {"A": 1, "B": 1, "X": 1}, {})
    assert lines[0]["waiting"] == ["message:m"]
    at(lines[1], RUNNING, {"A": 1, "B": 1, "X": 1}, {}, started={"B": 1})
    at(lines[2], RUNNING, {"A": 1, "B": 1, "Y": 1}, {"X": 1}, started={"B": 1})
    at(lines[3], COMPLETED, {}, {"A": 1, "X": 1})
    assert lines[3]["waiting"] == []


def test_wcp43_further_events_are_rejected() -> None:
    events = [
        complete("A"),
        complete("B"),
        complete("Y"),
        {"start": "X"},
        {"cancel": "B"},
        CANCEL_CASE,
    ]
    lines = run(TERMINATING, events)
    at(lines[1], COMPLETED, {}, {"A": 1})
    for step in range(2, len(events) + 1):
        rejected(lines, step)


def test_wcp43_a_plain_end_event_does_not_terminate() -> None:
    lines = run(PLAIN, [complete("A")])
    at(lines[1], RUNNING, {"B": 1, "X": 1}, {"A": 1})
    assert lines[1]["waiting"] == ["message:m"]


# ------------------------------------------ WCP-20 Cancel Case
def test_wcp20_cancel_case_withdraws_everything_including_the_sub_process() -> None:
    events = [complete("X"), {"start": "Y"}, complete("B"), CANCEL_CASE]
    lines = run(PLAIN, events)
    at(lines[2], RUNNING, {"A": 1, "B": 1, "Y": 1}, {"X": 1}, started={"Y": 1})
    at(lines[3], RUNNING, {"A": 1, "C": 1, "Y": 1}, {"B": 1, "X": 1}, started={"Y": 1})
    assert lines[3]["waiting"] == ["message:m"]
    at(lines[4], CANCELLED, {}, {"B": 1, "X": 1})
    assert lines[4]["waiting"] == []


def test_wcp20_further_events_are_rejected() -> None:
    events = [
        CANCEL_CASE,
        complete("A"),
        complete("X"),
        {"start": "B"},
        {"cancel": "B"},
        CANCEL_CASE,
    ]
    lines = run(PLAIN, events)
    at(lines[1], CANCELLED, {}, {})
    for step in range(2, len(events) + 1):
        rejected(lines, step)


def test_wcp20_a_finished_case_cannot_be_cancelled() -> None:
    xml = bpmn('<startEvent id="S"/>' + tasks("A") + '<endEvent id="E"/>' + chain("S", "A", "E"))
    lines = run(xml, [complete("A"), CANCEL_CASE])
    at(lines[1], COMPLETED, {}, {"A": 1})
    rejected(lines, 2)
