"""Basic control-flow patterns, run through ``play`` scripts.

Covered: WCP-1 Sequence, WCP-2 Parallel Split, WCP-3 Synchronization, WCP-4 Exclusive Choice,
WCP-5 Simple Merge, WCP-10 Arbitrary Cycles, WCP-11 Implicit Termination.
"""

from __future__ import annotations

from tests.patterns.support import at, bpmn, chain, complete, flow, rejected, run, tasks

RUNNING, COMPLETED, FAILED = "running", "completed", "failed"
#: The fields a rejected event must leave exactly as they were.
# ------------------------------------------ WCP-1 Sequence
SEQUENCE = bpmn(
    '<startEvent id="S"/>' + tasks("A", "B") + '<endEvent id="E"/>' + chain("S", "A", "B", "E")
)


def test_wcp01_successor_offered_only_after_predecessor_completes() -> None:
    lines = run(SEQUENCE, [complete("B"), {"start": "B"}, complete("A"), complete("B")])
    at(lines[0], RUNNING, {"A": 1}, {})
    rejected(lines, 1)  # B is not offered yet
    rejected(lines, 2)  # nor can it be started
    at(lines[3], RUNNING, {"B": 1}, {"A": 1})
    at(lines[4], COMPLETED, {}, {"A": 1, "B": 1})


def test_wcp01_started_item_and_repeated_completion() -> None:
    lines = run(SEQUENCE, [{"start": "A"}, complete("A"), complete("A"), complete("B")])
    at(lines[1], RUNNING, {"A": 1}, {}, started={"A": 1})
    at(lines[2], RUNNING, {"B": 1}, {"A": 1})
    rejected(lines, 3)  # A is no longer open
    at(lines[4], COMPLETED, {}, {"A": 1, "B": 1})


def test_wcp01_events_after_completion_are_rejected() -> None:
    lines = run(SEQUENCE, [complete("A"), complete("B"), complete("B"), complete("A")])
    at(lines[2], COMPLETED, {}, {"A": 1, "B": 1})
    rejected(lines, 3)
    rejected(lines, 4)


# ------------------------------------------ WCP-2 Parallel Split
PARALLEL_SPLIT = bpmn(
    '<startEvent id="S"/>'
    + tasks("A", "B", "C")
    + '<parallelGateway id="G"/><endEvent id="E1"/><endEvent id="E2"/>'
    + chain("S", "A", "G", "B", "E1")
    + chain("G", "C", "E2")
)


def test_wcp02_parallel_gateway_enables_all_branches_at_once() -> None:
    lines = run(PARALLEL_SPLIT, [complete("A"), complete("C"), complete("B")])
    at(lines[0], RUNNING, {"A": 1}, {})
    at(lines[1], RUNNING, {"B": 1, "C": 1}, {"A": 1})
    at(lines[2], RUNNING, {"B": 1}, {"A": 1, "C": 1})  # C's completion leaves B as it was
    at(lines[3], COMPLETED, {}, {"A": 1, "B": 1, "C": 1})


def test_wcp02_branches_are_independent_of_each_other() -> None:
    lines = run(PARALLEL_SPLIT, [complete("A"), {"start": "B"}, complete("C"), complete("B")])
    at(lines[2], RUNNING, {"B": 1, "C": 1}, {"A": 1}, started={"B": 1})
    at(lines[3], RUNNING, {"B": 1}, {"A": 1, "C": 1}, started={"B": 1})
    at(lines[4], COMPLETED, {}, {"A": 1, "B": 1, "C": 1})


def test_wcp02_activity_with_two_unconditional_flows_splits() -> None:
    xml = bpmn(
        '<startEvent id="S"/>'
        + tasks("A", "B", "C")
        + '<endEvent id="E1"/><endEvent id="E2"/>'
        + chain("S", "A", "B", "E1")
        + chain("A", "C", "E2")
    )
    lines = run(xml, [complete("B"), complete("A"), complete("B"), complete("C")])
    rejected(lines, 1)
    at(lines[2], RUNNING, {"B": 1, "C": 1}, {"A": 1})
    at(lines[3], RUNNING, {"C": 1}, {"A": 1, "B": 1})
    at(lines[4], COMPLETED, {}, {"A": 1, "B": 1, "C": 1})


# ------------------------------------------ WCP-3 Synchronization
SYNCHRONIZATION = bpmn(
    '<startEvent id="S"/>'
    + tasks("A", "B", "C", "D")
    + '<parallelGateway id="G1"/><parallelGateway id="G2"/><endEvent id="E"/>'
    + chain("S", "G1", "A", "G2", "D", "E")
    + chain("G1", "B", "G2")
    + chain("G1", "C", "G2")
)


def test_wcp03_join_waits_for_every_branch() -> None:
    lines = run(SYNCHRONIZATION, [complete("B"), complete("D"), complete("A"), complete("C")])
    at(lines[0], RUNNING, {"A": 1, "B": 1, "C": 1}, {})
    at(lines[1], RUNNING, {"A": 1, "C": 1}, {"B": 1})
    rejected(lines, 2)  # the continuation is not offered before all branches arrived
    at(lines[3], RUNNING, {"C": 1}, {"A": 1, "B": 1})
    at(lines[4], RUNNING, {"D": 1}, {"A": 1, "B": 1, "C": 1})


def test_wcp03_continuation_runs_exactly_once() -> None:
    lines = run(
        SYNCHRONIZATION,
        [complete("C"), complete("A"), complete("B"), complete("D"), complete("D")],
    )
    at(lines[3], RUNNING, {"D": 1}, {"A": 1, "B": 1, "C": 1})
    at(lines[4], COMPLETED, {}, {"A": 1, "B": 1, "C": 1, "D": 1})
    rejected(lines, 5)


# ------------------------------------------ WCP-4 Exclusive Choice
EXCLUSIVE = bpmn(
    '<startEvent id="S"/>'
    + tasks("A", "B", "C", "D")
    + '<exclusiveGateway id="X" default="toD"/><endEvent id="E"/>'
    + chain("S", "A", "X")
    + flow("X", "B", "amount > 100")
    + flow("X", "C", "amount > 10")
    + flow("X", "D", flow_id="toD")
    + chain("B", "E")
    + chain("C", "E")
    + chain("D", "E")
)


def test_wcp04_first_true_condition_in_document_order_wins() -> None:
    lines = run(EXCLUSIVE, [complete("A", amount=500), complete("C"), complete("B")])
    at(lines[1], RUNNING, {"B": 1}, {"A": 1})  # C's condition holds too, but B comes first
    rejected(lines, 2)
    at(lines[3], COMPLETED, {}, {"A": 1, "B": 1})


def test_wcp04_conditions_are_evaluated_on_data_at_the_choice() -> None:
    lines = run(EXCLUSIVE, [complete("A", amount=50), complete("C")], data={"amount": 500})
    at(lines[1], RUNNING, {"C": 1}, {"A": 1})
    at(lines[2], COMPLETED, {}, {"A": 1, "C": 1})


def test_wcp04_default_flow_when_no_condition_holds() -> None:
    lines = run(EXCLUSIVE, [complete("A", amount=1), complete("B"), complete("D")])
    at(lines[1], RUNNING, {"D": 1}, {"A": 1})
    rejected(lines, 2)
    at(lines[3], COMPLETED, {}, {"A": 1, "D": 1})


def test_wcp04_no_condition_true_and_no_default_fails_the_case() -> None:
    xml = bpmn(
        '<startEvent id="S"/>'
        + tasks("A", "B", "C")
        + '<exclusiveGateway id="X"/><endEvent id="E"/>'
        + chain("S", "A", "X")
        + flow("X", "B", "amount > 100")
        + flow("X", "C", "amount > 10")
        + chain("B", "E")
        + chain("C", "E")
    )
    lines = run(xml, [complete("A", amount=1), complete("B")])
    at(lines[1], FAILED, {}, {"A": 1})
    rejected(lines, 2)


# ------------------------------------------ WCP-5 Simple Merge
def simple_merge(merge: bool) -> str:
    """A choice between B and C, merged before D by a gateway or by D itself."""
    body = (
        '<startEvent id="S"/>'
        + tasks("A", "B", "C", "D")
        + '<exclusiveGateway id="X" default="toC"/><endEvent id="E"/>'
        + chain("S", "A", "X")
        + flow("X", "B", "amount > 100")
        + flow("X", "C", flow_id="toC")
        + chain("D", "E")
    )
    if merge:
        return bpmn(body + '<exclusiveGateway id="M"/>' + chain("B", "M", "D") + chain("C", "M"))
    return bpmn(body + chain("B", "D") + chain("C", "D"))


def test_wcp05_exclusive_gateway_merge_passes_the_one_branch_on() -> None:
    for amount, branch in ((500, "B"), (5, "C")):
        lines = run(
            simple_merge(True), [complete("A", amount=amount), complete(branch), complete("D")]
        )
        at(lines[1], RUNNING, {branch: 1}, {"A": 1})
        at(lines[2], RUNNING, {"D": 1}, {"A": 1, branch: 1})
        at(lines[3], COMPLETED, {}, {"A": 1, branch: 1, "D": 1})


def test_wcp05_flows_entering_one_activity_merge() -> None:
    for amount, branch in ((500, "B"), (5, "C")):
        lines = run(
            simple_merge(False), [complete("A", amount=amount), complete(branch), complete("D")]
        )
        at(lines[1], RUNNING, {branch: 1}, {"A": 1})
        at(lines[2], RUNNING, {"D": 1}, {"A": 1, branch: 1})
        at(lines[3], COMPLETED, {}, {"A": 1, branch: 1, "D": 1})


# ------------------------------------------ WCP-10 Arbitrary Cycles
# A cycle J1 -> A -> X1 -> J2 -> B -> X2 -> J1, entered at J1 or J2, left at X1 or X2.
CYCLE_GATEWAYS = (
    '<exclusiveGateway id="X0" default="toJ2"/>'
    '<exclusiveGateway id="J1"/><exclusiveGateway id="J2"/>'
    '<exclusiveGateway id="X1" default="x1back"/><exclusiveGateway id="X2" default="x2back"/>'
)
CYCLE = bpmn(
    '<startEvent id="S"/><endEvent id="E1"/><endEvent id="E2"/>'
    + tasks("A", "B")
    + CYCLE_GATEWAYS
    + flow("S", "X0")
    + flow("X0", "J1", "entry == 'A'")
    + flow("X0", "J2", flow_id="toJ2")
    + chain("J1", "A", "X1")
    + flow("X1", "E1", "done")
    + flow("X1", "J2", flow_id="x1back")
    + chain("J2", "B", "X2")
    + flow("X2", "E2", "done")
    + flow("X2", "J1", flow_id="x2back")
)


def test_wcp10_cycle_entered_at_a_and_left_after_a() -> None:
    events = [complete("A"), complete("B"), complete("A"), complete("B"), complete("A", done=True)]
    lines = run(CYCLE, events, data={"entry": "A", "done": False})
    at(lines[0], RUNNING, {"A": 1}, {})
    at(lines[1], RUNNING, {"B": 1}, {"A": 1})
    at(lines[2], RUNNING, {"A": 1}, {"A": 1, "B": 1})
    at(lines[3], RUNNING, {"B": 1}, {"A": 2, "B": 1})
    at(lines[4], RUNNING, {"A": 1}, {"A": 2, "B": 2})
    at(lines[5], COMPLETED, {}, {"A": 3, "B": 2})


def test_wcp10_cycle_entered_at_b_and_left_after_b() -> None:
    events = [
        complete("A"),
        complete("B"),
        complete("A"),
        complete("B"),
        complete("A"),
        complete("B", done=True),
    ]
    lines = run(CYCLE, events, data={"entry": "B", "done": False})
    at(lines[0], RUNNING, {"B": 1}, {})
    rejected(lines, 1)  # the cycle was entered at B: A is not offered
    at(lines[2], RUNNING, {"A": 1}, {"B": 1})
    at(lines[3], RUNNING, {"B": 1}, {"A": 1, "B": 1})
    at(lines[4], RUNNING, {"A": 1}, {"A": 1, "B": 2})
    at(lines[5], RUNNING, {"B": 1}, {"A": 2, "B": 2})
    at(lines[6], COMPLETED, {}, {"A": 2, "B": 3})


# ------------------------------------------ WCP-11 Implicit Termination
def test_wcp11_reaching_one_end_event_of_two_does_not_complete() -> None:
    lines = run(PARALLEL_SPLIT, [complete("A"), complete("B"), complete("C")])
    at(lines[2], RUNNING, {"C": 1}, {"A": 1, "B": 1})  # E1 reached, C remains
    at(lines[3], COMPLETED, {}, {"A": 1, "B": 1, "C": 1})


def test_wcp11_case_completes_when_the_last_branch_ends_wherever_it_ends() -> None:
    lines = run(PARALLEL_SPLIT, [complete("A"), complete("C"), complete("B")])
    at(lines[2], RUNNING, {"B": 1}, {"A": 1, "C": 1})
    at(lines[3], COMPLETED, {}, {"A": 1, "B": 1, "C": 1})


def test_wcp11_deadlock_is_not_a_completion() -> None:
    # An exclusive choice feeds a parallel join: the join can never fire.
    xml = bpmn(
        '<startEvent id="S"/>'
        + tasks("T", "A", "B", "C")
        + '<exclusiveGateway id="X" default="toB"/><parallelGateway id="J"/><endEvent id="E"/>'
        + chain("S", "T", "X")
        + flow("X", "A", "x == 1")
        + flow("X", "B", flow_id="toB")
        + chain("A", "J", "C", "E")
        + chain("B", "J")
    )
    lines = run(xml, [complete("T", x=1), complete("A"), complete("C")])
    at(lines[1], RUNNING, {"A": 1}, {"T": 1})
    last = lines[2]
    assert last["ok"] is True
    assert last["state"] != COMPLETED
    assert (last["open"], last["started"], last["log"]) == ({}, {}, {"T": 1, "A": 1})
    rejected(lines, 3)
