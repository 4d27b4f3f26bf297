"""Iteration and recursion, played step by step.

WCP-21 Structured Loop (pre-tested while, post-tested repeat-until, loopCounter, loopMaximum, loops
over a task and over a sub-process) and WCP-22 Recursion (a call activity calling its own process).
"""

from __future__ import annotations

from tests.patterns.support import bpmn, chain, expect, flow, rejected, run, tasks


def loop(condition: str, *, before: bool, maximum: int | None = None) -> str:
    escaped = condition.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    bound = "" if maximum is None else f' loopMaximum="{maximum}"'
    return (
        f'<standardLoopCharacteristics testBefore="{str(before).lower()}"{bound}>'
        f'<loopCondition xsi:type="tFormalExpression">{escaped}</loopCondition>'
        "</standardLoopCharacteristics>"
    )


def looped(characteristics: str) -> str:
    """S -> A (looping user task) -> B -> E."""
    return bpmn(
        f'<startEvent id="S"/><userTask id="A">{characteristics}</userTask>{tasks("B")}'
        f'<endEvent id="E"/>{chain("S", "A", "B", "E")}'
    )


# --------------------------------------------------------------------------------- WCP-21


def test_wcp21_while_loop_can_run_zero_times() -> None:
    lines = run(looped(loop("more", before=True)), [{"complete": "B"}], {"more": False})
    expect(lines[0], open={"B": 1})
    expect(lines[1], "completed", log={"B": 1})


def test_wcp21_while_loop_repeats_while_the_condition_holds() -> None:
    lines = run(
        looped(loop("more", before=True)),
        [{"complete": "A"}, {"complete": "B"}, {"complete": "A", "data": {"more": False}}],
        {"more": True},
    )
    expect(lines[0], open={"A": 1})
    expect(lines[1], open={"A": 1}, log={"A": 1})
    rejected(lines, 2)  # single exit: B only after the loop ends
    expect(lines[3], open={"B": 1}, log={"A": 2})


def test_wcp21_repeat_until_runs_at_least_once() -> None:
    lines = run(looped(loop("more", before=False)), [{"complete": "A"}], {"more": False})
    expect(lines[0], open={"A": 1})
    expect(lines[1], open={"B": 1}, log={"A": 1})


def test_wcp21_repeat_until_repeats_while_the_condition_holds() -> None:
    lines = run(
        looped(loop("more", before=False)),
        [{"complete": "A", "data": {"more": True}}, {"complete": "A", "data": {"more": False}}],
        {"more": False},
    )
    expect(lines[1], open={"A": 1}, log={"A": 1})
    expect(lines[2], open={"B": 1}, log={"A": 2})


def test_wcp21_loop_counter_counts_the_iterations() -> None:
    for before in (True, False):
        lines = run(
            looped(loop("loopCounter < 3", before=before)),
            [{"complete": "A"}, {"complete": "A"}, {"complete": "A"}],
        )
        expect(lines[1], open={"A": 1}, log={"A": 1})
        expect(lines[2], open={"A": 1}, log={"A": 2})
        expect(lines[3], open={"B": 1}, log={"A": 3})


def test_wcp21_loop_maximum_bounds_the_iterations() -> None:
    lines = run(
        looped(loop("True", before=False, maximum=2)), [{"complete": "A"}, {"complete": "A"}]
    )
    expect(lines[1], open={"A": 1}, log={"A": 1})
    expect(lines[2], open={"B": 1}, log={"A": 2})


def test_wcp21_while_loop_with_maximum_zero_runs_no_iteration() -> None:
    lines = run(looped(loop("True", before=True, maximum=0)), [{"complete": "A"}])
    expect(lines[0], open={"B": 1})
    rejected(lines, 1)


def test_wcp21_looping_sub_process_runs_afresh_each_iteration() -> None:
    body = (
        f'<subProcess id="L">{loop("loopCounter < 2", before=False)}'
        f'<startEvent id="S2"/>{tasks("X", "Y")}<endEvent id="E2"/>{chain("S2", "X", "Y", "E2")}'
        "</subProcess>"
    )
    xml = bpmn(
        f'<startEvent id="S"/>{body}{tasks("B")}<endEvent id="E"/>{chain("S", "L", "B", "E")}'
    )
    lines = run(xml, [{"complete": "X"}, {"complete": "Y"}, {"complete": "X"}, {"complete": "Y"}])
    expect(lines[0], open={"X": 1})
    expect(lines[1], open={"Y": 1}, log={"X": 1})
    expect(lines[2], open={"X": 1}, log={"X": 1, "Y": 1})
    expect(lines[3], open={"Y": 1}, log={"X": 2, "Y": 1})
    expect(lines[4], open={"B": 1}, log={"X": 2, "Y": 2})


# --------------------------------------------------------------------------------- WCP-22


def recursive() -> str:
    """P: S -> Ask -> G; G --again--> Call(P) -> After -> E; G --default--> Done -> E."""
    return bpmn(
        '<startEvent id="S"/><exclusiveGateway id="G" default="toDone"/>'
        '<callActivity id="Call" calledElement="P"/>'
        f'{tasks("Ask", "After", "Done")}<endEvent id="E"/>'
        f"{chain('S', 'Ask', 'G')}{flow('G', 'Call', 'again')}{chain('Call', 'After', 'E')}"
        f"{flow('G', 'Done', flow_id='toDone')}{chain('Done', 'E')}"
    )


def test_wcp22_nested_instance_completes_before_the_caller_continues() -> None:
    lines = run(
        recursive(),
        [
            {"complete": "Ask", "data": {"again": True}},
            {"complete": "Ask", "data": {"again": False, "answer": 42}},
            {"complete": "After"},
            {"complete": "Done"},
            {"complete": "After"},
        ],
        {"again": False},
    )
    expect(lines[0], open={"Ask": 1})
    expect(lines[1], open={"Ask": 1}, log={"Ask": 1})  # the nested instance asks again
    expect(lines[2], open={"Done": 1}, log={"Ask": 2})
    rejected(lines, 3)  # the caller waits for the callee
    expect(lines[4], open={"After": 1}, log={"Ask": 2, "Done": 1})
    assert lines[4]["data"] == {"again": False, "answer": 42}  # copied back into the caller
    expect(lines[5], "completed", log={"Ask": 2, "Done": 1, "After": 1})


def test_wcp22_callee_starts_with_a_copy_of_the_caller_data() -> None:
    # Only the outermost Ask sets ``again``; the first callee sees it and recurses once more.
    lines = run(
        recursive(),
        [
            {"complete": "Ask", "data": {"again": True}},
            {"complete": "Ask"},
            {"complete": "Ask", "data": {"again": False}},
            {"complete": "Done"},
            {"complete": "After"},
            {"complete": "After"},
        ],
        {},
    )
    expect(lines[2], open={"Ask": 1}, log={"Ask": 2})
    assert lines[2]["data"] == {"again": True}
    expect(lines[3], open={"Done": 1}, log={"Ask": 3})
    expect(lines[4], open={"After": 1}, log={"Ask": 3, "Done": 1})
    expect(lines[5], open={"After": 1}, log={"Ask": 3, "Done": 1, "After": 1})
    expect(lines[6], "completed", log={"Ask": 3, "Done": 1, "After": 2})
    assert lines[6]["data"] == {"again": False}


def test_wcp22_process_called_by_a_process_it_calls() -> None:
    outer = bpmn(
        '<startEvent id="S"/><exclusiveGateway id="G" default="toEnd"/>'
        f'<callActivity id="CallQ" calledElement="Q"/>{tasks("Ask", "After")}<endEvent id="E"/>'
        f"{chain('S', 'Ask', 'G')}{flow('G', 'CallQ', 'again')}{chain('CallQ', 'After', 'E')}"
        f"{flow('G', 'E', flow_id='toEnd')}",
        more_processes=(
            '<process id="Q" isExecutable="false"><startEvent id="QS"/>'
            f'<callActivity id="CallP" calledElement="P"/>{tasks("Work")}<endEvent id="QE"/>'
            f"{chain('QS', 'Work', 'CallP', 'QE')}</process>"
        ),
    )
    lines = run(
        outer,
        [{"complete": "Ask"}, {"complete": "Work"}, {"complete": "Ask", "data": {"again": False}}],
        {"again": True},
    )
    expect(lines[1], open={"Work": 1}, log={"Ask": 1})
    expect(lines[2], open={"Ask": 1}, log={"Ask": 1, "Work": 1})
    expect(lines[3], open={"After": 1}, log={"Ask": 2, "Work": 1})
    assert lines[3]["data"] == {"again": False}


def test_wcp22_runaway_recursion_fails_at_the_depth_limit() -> None:
    xml = bpmn(
        '<startEvent id="S"/><callActivity id="Call" calledElement="P"/><endEvent id="E"/>'
        f"{chain('S', 'Call', 'E')}"
    )
    lines = run(xml, [{"complete": "Call"}])
    expect(lines[0], "failed")
    rejected(lines, 1)


def test_wcp22_depth_limit_is_one_hundred_nested_calls() -> None:
    xml = bpmn(
        '<startEvent id="S"/><callActivity id="Call" calledElement="P"/><endEvent id="E"/>'
        f"{tasks('A')}{chain('S', 'A', 'Call', 'E')}"
    )
    lines = run(xml, [{"complete": "A"}] * 101)
    expect(lines[100], open={"A": 1}, log={"A": 100})  # 100 nested instances are running
    expect(lines[101], "failed", log={"A": 101})
    assert lines[101]["ok"] is True
