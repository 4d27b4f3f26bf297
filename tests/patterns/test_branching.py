"""Advanced branching and synchronization patterns, run through ``play`` scripts.

Covered: WCP-6 Multi-Choice, WCP-7 Structured Synchronizing Merge, WCP-8 Multi-Merge,
WCP-9 Structured Discriminator, WCP-28 Blocking Discriminator, WCP-29 Cancelling Discriminator,
WCP-30 Structured Partial Join, WCP-31 Blocking Partial Join, WCP-32 Cancelling Partial Join,
WCP-33 Generalized AND-Join, WCP-37 Local Synchronizing Merge, WCP-38 General Synchronizing Merge.
"""

from __future__ import annotations

from tests.patterns.support import at, bpmn, chain, complete, flow, rejected, run, tasks

RUNNING, COMPLETED = "running", "completed"


#: The fields a rejected event must leave exactly as they were.
def split_join(join: str, branches: tuple[str, ...] = ("A", "B", "C")) -> str:
    """S -> parallel split -> branches -> ``join`` (gateway markup with id J) -> D -> E."""
    body = '<startEvent id="S"/>' + tasks(*branches, "D") + '<parallelGateway id="G"/>'
    body += join + '<endEvent id="E"/>' + chain("S", "G") + chain("J", "D", "E")
    for branch in branches:
        body += chain("G", branch, "J")
    return bpmn(body)


def looped_join(join: str, branches: tuple[str, ...]) -> str:
    """As ``split_join`` inside a loop: after D, ``again`` leads back to the split."""
    body = (
        '<startEvent id="S"/>'
        + tasks(*branches, "D")
        + '<exclusiveGateway id="L"/><parallelGateway id="G"/>'
        + join
        + '<exclusiveGateway id="X" default="out"/><endEvent id="E"/>'
        + chain("S", "L", "G")
        + chain("J", "D", "X")
        + flow("X", "L", "again")
        + flow("X", "E", flow_id="out")
    )
    for branch in branches:
        body += chain("G", branch, "J")
    return bpmn(body)


def complex_gateway(count: int, cancel: bool = False) -> str:
    extra = ' itn:cancelRemaining="true"' if cancel else ""
    return f'<complexGateway id="J" itn:activationCount="{count}"{extra}/>'


# ------------------------------------------ WCP-6 Multi-Choice
MULTI_CHOICE = bpmn(
    '<startEvent id="S"/>' + tasks("T", "A", "B", "C") + '<inclusiveGateway id="I" default="toC"/>'
    '<endEvent id="E1"/><endEvent id="E2"/><endEvent id="E3"/>'
    + chain("S", "T", "I")
    + flow("I", "A", "amount > 100")
    + flow("I", "B", "'urgent' in tags")
    + flow("I", "C", flow_id="toC")
    + chain("A", "E1")
    + chain("B", "E2")
    + chain("C", "E3")
)


def test_wcp06_every_true_condition_is_taken() -> None:
    events = [complete("T", amount=500, tags=["urgent"]), complete("C"), complete("B")]
    lines = run(MULTI_CHOICE, events, data={"amount": 0, "tags": []})
    at(lines[1], RUNNING, {"A": 1, "B": 1}, {"T": 1})
    rejected(lines, 2)  # the default is not taken when a condition holds
    at(lines[3], RUNNING, {"A": 1}, {"T": 1, "B": 1})


def test_wcp06_one_true_condition_takes_one_branch() -> None:
    events = [complete("T", amount=500), complete("A")]
    lines = run(MULTI_CHOICE, events, data={"amount": 0, "tags": ["later"]})
    at(lines[1], RUNNING, {"A": 1}, {"T": 1})
    at(lines[2], COMPLETED, {}, {"T": 1, "A": 1})


def test_wcp06_default_when_no_condition_holds() -> None:
    lines = run(MULTI_CHOICE, [complete("T"), complete("C")], data={"amount": 5, "tags": []})
    at(lines[1], RUNNING, {"C": 1}, {"T": 1})
    at(lines[2], COMPLETED, {}, {"T": 1, "C": 1})


# ------------------------------------------ WCP-7 Structured Synchronizing Merge
SYNC_MERGE = bpmn(
    '<startEvent id="S"/>'
    + tasks("T", "A", "B", "C", "D")
    + '<inclusiveGateway id="I"/><inclusiveGateway id="J"/><endEvent id="E"/>'
    + chain("S", "T", "I")
    + flow("I", "A", "'a' in pick")
    + flow("I", "B", "'b' in pick")
    + flow("I", "C", "'c' in pick")
    + chain("A", "J")
    + chain("B", "J")
    + chain("C", "J")
    + chain("J", "D", "E")
)


def test_wcp07_merge_waits_for_exactly_the_activated_branches() -> None:
    events = [complete("T", pick=["a", "c"]), complete("C"), complete("D"), complete("A")]
    lines = run(SYNC_MERGE, events + [complete("D")])
    at(lines[1], RUNNING, {"A": 1, "C": 1}, {"T": 1})
    at(lines[2], RUNNING, {"A": 1}, {"T": 1, "C": 1})
    rejected(lines, 3)  # A is still on its way
    at(lines[4], RUNNING, {"D": 1}, {"T": 1, "A": 1, "C": 1})
    at(lines[5], COMPLETED, {}, {"T": 1, "A": 1, "C": 1, "D": 1})


def test_wcp07_one_activated_branch_passes_at_once() -> None:
    lines = run(SYNC_MERGE, [complete("T", pick=["b"]), complete("B"), complete("D")])
    at(lines[1], RUNNING, {"B": 1}, {"T": 1})
    at(lines[2], RUNNING, {"D": 1}, {"T": 1, "B": 1})
    at(lines[3], COMPLETED, {}, {"T": 1, "B": 1, "D": 1})


def test_wcp07_all_branches_activated_all_awaited_continuation_once() -> None:
    events = [complete("T", pick=["a", "b", "c"]), complete("B"), complete("A"), complete("C")]
    lines = run(SYNC_MERGE, events)
    at(lines[2], RUNNING, {"A": 1, "C": 1}, {"T": 1, "B": 1})
    at(lines[3], RUNNING, {"C": 1}, {"T": 1, "A": 1, "B": 1})
    at(lines[4], RUNNING, {"D": 1}, {"T": 1, "A": 1, "B": 1, "C": 1})


# ------------------------------------------ WCP-8 Multi-Merge
def test_wcp08_every_arriving_token_passes_the_merge() -> None:
    xml = split_join('<exclusiveGateway id="J"/>', ("A", "B"))
    events = [complete("A"), complete("B"), complete("D"), complete("D"), complete("D")]
    lines = run(xml, events)
    at(lines[0], RUNNING, {"A": 1, "B": 1}, {})
    at(lines[1], RUNNING, {"B": 1, "D": 1}, {"A": 1})
    at(lines[2], RUNNING, {"D": 2}, {"A": 1, "B": 1})
    at(lines[3], RUNNING, {"D": 1}, {"A": 1, "B": 1, "D": 1})
    at(lines[4], COMPLETED, {}, {"A": 1, "B": 1, "D": 2})
    rejected(lines, 5)


# ------------------------------------------ WCP-9 Structured Discriminator
def test_wcp09_first_arrival_fires_later_arrivals_do_not() -> None:
    xml = split_join(complex_gateway(1))
    events = [complete("B"), complete("A"), complete("C"), complete("D"), complete("D")]
    lines = run(xml, events)
    at(lines[1], RUNNING, {"A": 1, "C": 1, "D": 1}, {"B": 1})
    at(lines[2], RUNNING, {"C": 1, "D": 1}, {"A": 1, "B": 1})
    at(lines[3], RUNNING, {"D": 1}, {"A": 1, "B": 1, "C": 1})
    at(lines[4], COMPLETED, {}, {"A": 1, "B": 1, "C": 1, "D": 1})
    rejected(lines, 5)


def test_wcp09_resets_and_fires_again_in_the_next_iteration() -> None:
    xml = looped_join(complex_gateway(1), ("A", "B"))
    events = [
        complete("A"),
        complete("B"),
        complete("D", again=True),
        complete("B"),
        complete("A"),
        complete("D", again=False),
    ]
    lines = run(xml, events, data={"again": False})
    at(lines[1], RUNNING, {"B": 1, "D": 1}, {"A": 1})
    at(lines[2], RUNNING, {"D": 1}, {"A": 1, "B": 1})  # all arrived: reset
    at(lines[3], RUNNING, {"A": 1, "B": 1}, {"A": 1, "B": 1, "D": 1})
    at(lines[4], RUNNING, {"A": 1, "D": 1}, {"A": 1, "B": 2, "D": 1})  # fires again
    at(lines[5], RUNNING, {"D": 1}, {"A": 2, "B": 2, "D": 1})
    at(lines[6], COMPLETED, {}, {"A": 2, "B": 2, "D": 2})


# ------------------------------------------ WCP-28 Blocking Discriminator
def test_wcp28_input_arriving_again_before_reset_is_held_then_fires() -> None:
    xml = looped_join(complex_gateway(1), ("A", "B"))
    events = [
        complete("A"),
        complete("D", again=True),  # back to the split before B of round 1 has arrived
        complete("A"),  # second arrival on A's input before the reset: held
        complete("B"),  # round 1 complete: reset, the held A opens round 2 and fires
        complete("D", again=False),
        complete("B"),
    ]
    lines = run(xml, events, data={"again": False})
    at(lines[1], RUNNING, {"B": 1, "D": 1}, {"A": 1})
    at(lines[2], RUNNING, {"A": 1, "B": 2}, {"A": 1, "D": 1})
    at(lines[3], RUNNING, {"B": 2}, {"A": 2, "D": 1})
    at(lines[4], RUNNING, {"B": 1, "D": 1}, {"A": 2, "B": 1, "D": 1})
    at(lines[5], RUNNING, {"B": 1}, {"A": 2, "B": 1, "D": 2})
    at(lines[6], COMPLETED, {}, {"A": 2, "B": 2, "D": 2})


def test_wcp28_held_token_from_a_multi_merge_is_not_lost() -> None:
    # Input 2 of the discriminator receives both B and C through a multi-merge.
    xml = bpmn(
        '<startEvent id="S"/>'
        + tasks("A", "B", "C", "D")
        + '<parallelGateway id="G"/><exclusiveGateway id="M"/>'
        + complex_gateway(1)
        + '<endEvent id="E"/>'
        + chain("S", "G", "A", "J", "D", "E")
        + chain("G", "B", "M", "J")
        + chain("G", "C", "M")
    )
    events = [complete("B"), complete("C"), complete("A"), complete("D"), complete("D")]
    lines = run(xml, events)
    at(lines[1], RUNNING, {"A": 1, "C": 1, "D": 1}, {"B": 1})
    at(lines[2], RUNNING, {"A": 1, "D": 1}, {"B": 1, "C": 1})  # held
    at(lines[3], RUNNING, {"D": 2}, {"A": 1, "B": 1, "C": 1})  # reset: the held one fires
    at(lines[4], RUNNING, {"D": 1}, {"A": 1, "B": 1, "C": 1, "D": 1})
    at(lines[5], COMPLETED, {}, {"A": 1, "B": 1, "C": 1, "D": 2})


# ------------------------------------------ WCP-29 Cancelling Discriminator
def test_wcp29_firing_withdraws_the_other_branches() -> None:
    xml = split_join(complex_gateway(1, cancel=True))
    events = [{"start": "A"}, complete("B"), complete("A"), complete("C"), complete("D")]
    lines = run(xml, events)
    at(lines[1], RUNNING, {"A": 1, "B": 1, "C": 1}, {}, started={"A": 1})
    at(lines[2], RUNNING, {"D": 1}, {"B": 1})
    rejected(lines, 3)
    rejected(lines, 4)
    at(lines[5], COMPLETED, {}, {"B": 1, "D": 1})


def test_wcp29_resets_and_fires_again_in_the_next_iteration() -> None:
    xml = looped_join(complex_gateway(1, cancel=True), ("A", "B"))
    events = [complete("A"), complete("D", again=True), complete("B"), complete("D", again=False)]
    lines = run(xml, events, data={"again": False})
    at(lines[1], RUNNING, {"D": 1}, {"A": 1})
    at(lines[2], RUNNING, {"A": 1, "B": 1}, {"A": 1, "D": 1})
    at(lines[3], RUNNING, {"D": 1}, {"A": 1, "B": 1, "D": 1})
    at(lines[4], COMPLETED, {}, {"A": 1, "B": 1, "D": 2})


# ------------------------------------------ WCP-30 Structured Partial Join
def test_wcp30_fires_on_the_second_of_three_and_not_again() -> None:
    xml = split_join(complex_gateway(2))
    events = [complete("A"), complete("C"), complete("B"), complete("D"), complete("D")]
    lines = run(xml, events)
    at(lines[1], RUNNING, {"B": 1, "C": 1}, {"A": 1})
    at(lines[2], RUNNING, {"B": 1, "D": 1}, {"A": 1, "C": 1})
    at(lines[3], RUNNING, {"D": 1}, {"A": 1, "B": 1, "C": 1})
    at(lines[4], COMPLETED, {}, {"A": 1, "B": 1, "C": 1, "D": 1})
    rejected(lines, 5)


def test_wcp30_resets_when_all_have_arrived() -> None:
    xml = looped_join(complex_gateway(2), ("A", "B", "C"))
    events = [
        complete("A"),
        complete("B"),
        complete("C"),
        complete("D", again=True),
        complete("C"),
        complete("B"),
    ]
    lines = run(xml, events, data={"again": False})
    at(lines[2], RUNNING, {"C": 1, "D": 1}, {"A": 1, "B": 1})
    at(lines[3], RUNNING, {"D": 1}, {"A": 1, "B": 1, "C": 1})
    at(lines[4], RUNNING, {"A": 1, "B": 1, "C": 1}, {"A": 1, "B": 1, "C": 1, "D": 1})
    at(lines[5], RUNNING, {"A": 1, "B": 1}, {"A": 1, "B": 1, "C": 2, "D": 1})
    at(lines[6], RUNNING, {"A": 1, "D": 1}, {"A": 1, "B": 2, "C": 2, "D": 1})


# ------------------------------------------ WCP-31 Blocking Partial Join
def test_wcp31_inputs_arriving_before_reset_are_held_then_fire() -> None:
    xml = looped_join(complex_gateway(2), ("A", "B", "C"))
    events = [
        complete("A"),
        complete("B"),  # fires (2 of 3); C of round 1 still running
        complete("D", again=True),
        complete("A"),  # held
        complete("B"),  # held
        complete("C"),  # round 1 complete: reset; the two held inputs fire round 2
        complete("D", again=False),
        complete("C"),
    ]
    lines = run(xml, events, data={"again": False})
    at(lines[2], RUNNING, {"C": 1, "D": 1}, {"A": 1, "B": 1})
    at(lines[3], RUNNING, {"A": 1, "B": 1, "C": 2}, {"A": 1, "B": 1, "D": 1})
    at(lines[4], RUNNING, {"B": 1, "C": 2}, {"A": 2, "B": 1, "D": 1})
    at(lines[5], RUNNING, {"C": 2}, {"A": 2, "B": 2, "D": 1})
    at(lines[6], RUNNING, {"C": 1, "D": 1}, {"A": 2, "B": 2, "C": 1, "D": 1})
    at(lines[7], RUNNING, {"C": 1}, {"A": 2, "B": 2, "C": 1, "D": 2})
    at(lines[8], COMPLETED, {}, {"A": 2, "B": 2, "C": 2, "D": 2})


# ------------------------------------------ WCP-32 Cancelling Partial Join
def test_wcp32_second_arrival_fires_and_withdraws_the_third_branch() -> None:
    xml = split_join(complex_gateway(2, cancel=True))
    events = [complete("A"), complete("C"), complete("B"), complete("D")]
    lines = run(xml, events)
    at(lines[1], RUNNING, {"B": 1, "C": 1}, {"A": 1})
    at(lines[2], RUNNING, {"D": 1}, {"A": 1, "C": 1})
    rejected(lines, 3)
    at(lines[4], COMPLETED, {}, {"A": 1, "C": 1, "D": 1})


def test_wcp32_resets_and_fires_again_in_the_next_iteration() -> None:
    xml = looped_join(complex_gateway(2, cancel=True), ("A", "B", "C"))
    events = [
        complete("B"),
        complete("A"),
        complete("D", again=True),
        complete("C"),
        complete("B"),
        complete("D", again=False),
    ]
    lines = run(xml, events, data={"again": False})
    at(lines[2], RUNNING, {"D": 1}, {"A": 1, "B": 1})
    at(lines[3], RUNNING, {"A": 1, "B": 1, "C": 1}, {"A": 1, "B": 1, "D": 1})
    at(lines[4], RUNNING, {"A": 1, "B": 1}, {"A": 1, "B": 1, "C": 1, "D": 1})
    at(lines[5], RUNNING, {"D": 1}, {"A": 1, "B": 2, "C": 1, "D": 1})
    at(lines[6], COMPLETED, {}, {"A": 1, "B": 2, "C": 1, "D": 2})


# ------------------------------------------ WCP-33 Generalized AND-Join
GENERAL_AND = bpmn(
    '<startEvent id="S"/>'
    + tasks("A", "B", "C", "D", "F")
    + '<parallelGateway id="G"/><exclusiveGateway id="M1"/><exclusiveGateway id="M2"/>'
    '<parallelGateway id="J"/><endEvent id="E"/>'
    + chain("S", "G", "A", "M1", "J", "F", "E")
    + chain("G", "B", "M1")
    + chain("G", "C", "M2", "J")
    + chain("G", "D", "M2")
)


def test_wcp33_surplus_tokens_wait_for_the_next_firing() -> None:
    events = [complete("A"), complete("B"), complete("C"), complete("F"), complete("D")]
    lines = run(GENERAL_AND, events + [complete("F")])
    at(lines[1], RUNNING, {"B": 1, "C": 1, "D": 1}, {"A": 1})
    at(lines[2], RUNNING, {"C": 1, "D": 1}, {"A": 1, "B": 1})  # two tokens on input 1
    at(lines[3], RUNNING, {"D": 1, "F": 1}, {"A": 1, "B": 1, "C": 1})  # one firing
    at(lines[4], RUNNING, {"D": 1}, {"A": 1, "B": 1, "C": 1, "F": 1})
    at(lines[5], RUNNING, {"F": 1}, {"A": 1, "B": 1, "C": 1, "D": 1, "F": 1})  # the surplus
    at(lines[6], COMPLETED, {}, {"A": 1, "B": 1, "C": 1, "D": 1, "F": 2})


# ------------------------------------------ WCP-37 Local Synchronizing Merge
# Unstructured: B's branch may leave through E2 instead of reaching the join.
LOCAL_MERGE = bpmn(
    '<startEvent id="S"/>'
    + tasks("T", "A", "B", "C", "D")
    + '<inclusiveGateway id="I"/><exclusiveGateway id="X" default="away"/>'
    '<inclusiveGateway id="J"/><endEvent id="E"/><endEvent id="E2"/>'
    + chain("S", "T", "I")
    + flow("I", "A", "'a' in pick")
    + flow("I", "B", "'b' in pick")
    + chain("A", "J")
    + chain("B", "X")
    + flow("X", "C", "more")
    + flow("X", "E2", flow_id="away")
    + chain("C", "J", "D", "E")
)


def test_wcp37_join_waits_while_a_token_can_still_reach_it() -> None:
    events = [complete("T", pick=["a", "b"]), complete("A"), complete("B", more=True)]
    lines = run(LOCAL_MERGE, events + [complete("C"), complete("D")], data={"more": False})
    at(lines[2], RUNNING, {"B": 1}, {"T": 1, "A": 1})
    at(lines[3], RUNNING, {"C": 1}, {"T": 1, "A": 1, "B": 1})
    at(lines[4], RUNNING, {"D": 1}, {"T": 1, "A": 1, "B": 1, "C": 1})
    at(lines[5], COMPLETED, {}, {"T": 1, "A": 1, "B": 1, "C": 1, "D": 1})


def test_wcp37_join_fires_once_the_other_branch_can_no_longer_arrive() -> None:
    events = [complete("T", pick=["a", "b"]), complete("A"), complete("B"), complete("D")]
    lines = run(LOCAL_MERGE, events, data={"more": False})
    at(lines[2], RUNNING, {"B": 1}, {"T": 1, "A": 1})
    at(lines[3], RUNNING, {"D": 1}, {"T": 1, "A": 1, "B": 1})
    at(lines[4], COMPLETED, {}, {"T": 1, "A": 1, "B": 1, "D": 1})


def test_wcp37_join_fires_at_once_when_nothing_else_is_upstream() -> None:
    events = [complete("T", pick=["a", "b"]), complete("B"), complete("A")]
    lines = run(LOCAL_MERGE, events, data={"more": False})
    at(lines[2], RUNNING, {"A": 1}, {"T": 1, "B": 1})
    at(lines[3], RUNNING, {"D": 1}, {"T": 1, "A": 1, "B": 1})


# ------------------------------------------ WCP-38 General Synchronizing Merge
# B's branch is a loop (L -> B -> X -> L) upstream of the inclusive join.
GENERAL_MERGE = bpmn(
    '<startEvent id="S"/>'
    + tasks("T", "A", "B", "D")
    + '<inclusiveGateway id="I"/><exclusiveGateway id="L"/>'
    '<exclusiveGateway id="X" default="exit"/><inclusiveGateway id="J"/><endEvent id="E"/>'
    + chain("S", "T", "I")
    + flow("I", "A", "'a' in pick")
    + flow("I", "L", "'b' in pick")
    + chain("L", "B", "X")
    + flow("X", "L", "again")
    + flow("X", "J", flow_id="exit")
    + chain("A", "J", "D", "E")
)


def test_wcp38_join_waits_for_a_looping_branch() -> None:
    events = [
        complete("T", pick=["a", "b"]),
        complete("A"),
        complete("B", again=True),
        complete("B", again=True),
        complete("B", again=False),
        complete("D"),
    ]
    lines = run(GENERAL_MERGE, events, data={"again": False})
    at(lines[2], RUNNING, {"B": 1}, {"T": 1, "A": 1})
    at(lines[3], RUNNING, {"B": 1}, {"T": 1, "A": 1, "B": 1})
    at(lines[4], RUNNING, {"B": 1}, {"T": 1, "A": 1, "B": 2})
    at(lines[5], RUNNING, {"D": 1}, {"T": 1, "A": 1, "B": 3})
    at(lines[6], COMPLETED, {}, {"T": 1, "A": 1, "B": 3, "D": 1})


def test_wcp38_join_fires_when_the_loop_exits_and_the_other_branch_is_inactive() -> None:
    events = [complete("T", pick=["b"]), complete("B", again=True), complete("B", again=False)]
    lines = run(GENERAL_MERGE, events, data={"again": False})
    at(lines[2], RUNNING, {"B": 1}, {"T": 1, "B": 1})
    at(lines[3], RUNNING, {"D": 1}, {"T": 1, "B": 2})


def test_wcp38_join_inside_a_cycle_fires_once_per_iteration() -> None:
    xml = bpmn(
        '<startEvent id="S"/>'
        + tasks("T", "A", "B", "D")
        + '<exclusiveGateway id="L"/><inclusiveGateway id="I"/><inclusiveGateway id="J"/>'
        '<exclusiveGateway id="X" default="out"/><endEvent id="E"/>'
        + chain("S", "L", "T", "I")
        + flow("I", "A", "'a' in pick")
        + flow("I", "B", "'b' in pick")
        + chain("A", "J")
        + chain("B", "J", "D", "X")
        + flow("X", "L", "again")
        + flow("X", "E", flow_id="out")
    )
    events = [
        complete("T", pick=["a", "b"]),
        complete("A"),
        complete("B"),
        complete("D", again=True),
        complete("T", pick=["a"]),
        complete("A"),
        complete("D", again=False),
    ]
    lines = run(xml, events, data={"again": False})
    at(lines[2], RUNNING, {"B": 1}, {"T": 1, "A": 1})
    at(lines[3], RUNNING, {"D": 1}, {"T": 1, "A": 1, "B": 1})
    at(lines[4], RUNNING, {"T": 1}, {"T": 1, "A": 1, "B": 1, "D": 1})
    at(lines[6], RUNNING, {"D": 1}, {"T": 2, "A": 2, "B": 1, "D": 1})
    at(lines[7], COMPLETED, {}, {"T": 2, "A": 2, "B": 1, "D": 2})
