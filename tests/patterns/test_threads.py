"""Thread patterns, played step by step.

WCP-41 Thread Merge (``startQuantity``: an activity starts once that many tokens have arrived) and
WCP-42 Thread Split (``completionQuantity``: that many tokens leave on each outgoing flow).
"""

from __future__ import annotations

from tests.patterns.support import bpmn, chain, expect, rejected, run, tasks

# --------------------------------------------------------------------------------- WCP-41


def test_wcp41_activity_starts_once_two_threads_have_arrived() -> None:
    # Two branches merge without synchronization into one branch that carries both threads to C.
    xml = bpmn(
        '<startEvent id="S"/><parallelGateway id="Split"/><exclusiveGateway id="M"/>'
        f'{tasks("A", "B", "D")}<userTask id="C" startQuantity="2"/><endEvent id="E"/>'
        f"{chain('S', 'Split', 'A', 'M', 'C', 'D', 'E')}{chain('Split', 'B', 'M')}"
    )
    lines = run(
        xml,
        [
            {"complete": "A"},
            {"complete": "C"},
            {"start": "B"},
            {"complete": "B"},
            {"complete": "C"},
            {"complete": "D"},
        ],
    )
    expect(lines[0], open={"A": 1, "B": 1})
    expect(lines[1], open={"B": 1}, log={"A": 1})  # one thread waits at C
    rejected(lines, 2)
    expect(lines[3], open={"B": 1}, started={"B": 1}, log={"A": 1})
    expect(lines[4], open={"C": 1}, log={"A": 1, "B": 1})
    expect(lines[5], open={"D": 1}, log={"A": 1, "B": 1, "C": 1})  # one merged thread goes on
    expect(lines[6], "completed", log={"A": 1, "B": 1, "C": 1, "D": 1})


def test_wcp41_every_pair_of_threads_starts_the_activity_once() -> None:
    xml = bpmn(
        f'<startEvent id="S"/><userTask id="A" completionQuantity="4"/>'
        f'<userTask id="C" startQuantity="2"/><endEvent id="E"/>{chain("S", "A", "C", "E")}'
    )
    lines = run(xml, [{"complete": "A"}, {"complete": "C"}, {"complete": "C"}])
    expect(lines[1], open={"C": 2}, log={"A": 1})
    expect(lines[2], open={"C": 1}, log={"A": 1, "C": 1})
    expect(lines[3], "completed", log={"A": 1, "C": 2})


# --------------------------------------------------------------------------------- WCP-42


def test_wcp42_three_threads_leave_the_activity() -> None:
    xml = bpmn(
        f'<startEvent id="S"/><userTask id="A" completionQuantity="3"/>{tasks("B")}'
        f'<endEvent id="E"/>{chain("S", "A", "B", "E")}'
    )
    lines = run(xml, [{"complete": "A"}, {"complete": "B"}, {"complete": "B"}, {"complete": "B"}])
    expect(lines[0], open={"A": 1})
    expect(lines[1], open={"B": 3}, log={"A": 1})
    expect(lines[2], open={"B": 2}, log={"A": 1, "B": 1})
    expect(lines[3], open={"B": 1}, log={"A": 1, "B": 2})  # the threads run independently
    expect(lines[4], "completed", log={"A": 1, "B": 3})


def test_wcp42_threads_leave_on_each_outgoing_flow() -> None:
    xml = bpmn(
        f'<startEvent id="S"/><userTask id="A" completionQuantity="3"/>{tasks("B", "C")}'
        f'<endEvent id="E"/>{chain("S", "A", "B", "E")}{chain("A", "C", "E")}'
    )
    lines = run(xml, [{"complete": "A"}] + [{"complete": "B"}] * 3 + [{"complete": "C"}] * 3)
    expect(lines[1], open={"B": 3, "C": 3}, log={"A": 1})
    expect(lines[4], open={"C": 3}, log={"A": 1, "B": 3})
    expect(lines[7], "completed", log={"A": 1, "B": 3, "C": 3})


def test_wcp42_split_threads_merged_again() -> None:
    xml = bpmn(
        f'<startEvent id="S"/><userTask id="A" completionQuantity="3"/>{tasks("B")}'
        f'<userTask id="C" startQuantity="3"/><endEvent id="E"/>{chain("S", "A", "B", "C", "E")}'
    )
    lines = run(xml, [{"complete": "A"}, {"complete": "B"}, {"complete": "B"}, {"complete": "B"}])
    expect(lines[2], open={"B": 2}, log={"A": 1, "B": 1})
    expect(lines[3], open={"B": 1}, log={"A": 1, "B": 2})
    expect(lines[4], open={"C": 1}, log={"A": 1, "B": 3})
