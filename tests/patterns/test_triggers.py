"""Triggers and timers, played step by step.

WCP-23 Transient Trigger (signal catch: lost when nobody waits), WCP-24 Persistent Trigger (message
catch and receive task: kept until consumed), and the timers the triggers rely on: the ``timer`` and
``advance`` events, interrupting and non-interrupting boundary timers, and timer cycles.
"""

from __future__ import annotations

from typing import Any

from tests.patterns.support import FIELDS, bpmn, chain, expect, rejected, run, tasks


def unchanged(lines: list[dict[str, Any]], step: int) -> None:
    """Event ``step`` was accepted but changed nothing visible."""
    line, before = lines[step], lines[step - 1]
    assert line["ok"] is True, line["error"]
    for field in (*FIELDS, "data"):
        assert line[field] == before[field], field


SIGNAL = '<signal id="Sig_go" name="go"/>'
MESSAGE = '<message id="Msg_approve" name="approve"/>'


def catch(element_id: str, definition: str) -> str:
    return f'<intermediateCatchEvent id="{element_id}">{definition}</intermediateCatchEvent>'


GO = '<signalEventDefinition signalRef="Sig_go"/>'
CATCH_SIGNAL = catch("C", GO)
CATCH_MESSAGE = catch("C", '<messageEventDefinition messageRef="Msg_approve"/>')


def timer(kind: str, text: str) -> str:
    return f"<timerEventDefinition><{kind}>{text}</{kind}></timerEventDefinition>"


HOUR_AT_C = catch("C", timer("timeDuration", "PT1H"))


def waits_at(event: str, extra: str = "") -> str:
    """S -> A -> C (the catch) -> B -> E."""
    return bpmn(
        f'<startEvent id="S"/>{tasks("A")}{event}{tasks("B")}<endEvent id="E"/>'
        f"{chain('S', 'A', 'C', 'B', 'E')}",
        extra=extra,
    )


def guarded(definition: str, *, interrupting: bool = True) -> str:
    """S -> A -> B -> E, with a boundary event T on A leading to Z -> EZ."""
    return bpmn(
        f'<startEvent id="S"/>{tasks("A", "B", "Z")}<endEvent id="E"/><endEvent id="EZ"/>'
        f'<boundaryEvent id="T" attachedToRef="A" cancelActivity="{str(interrupting).lower()}">'
        f"{definition}</boundaryEvent>{chain('S', 'A', 'B', 'E')}{chain('T', 'Z', 'EZ')}"
    )


# --------------------------------------------------------------------------------- WCP-23


def test_wcp23_signal_before_anyone_waits_is_lost() -> None:
    lines = run(
        waits_at(CATCH_SIGNAL, SIGNAL),
        [{"signal": "go"}, {"complete": "A"}, {"complete": "B"}, {"signal": "go"}],
    )
    expect(lines[0], open={"A": 1})
    unchanged(lines, 1)  # accepted, and forgotten
    expect(lines[2], log={"A": 1}, waiting=["signal:go"])
    rejected(lines, 3)
    expect(lines[4], open={"B": 1}, log={"A": 1})


def test_wcp23_signal_while_waiting_fires_every_waiting_catch() -> None:
    body = (
        '<startEvent id="S"/><parallelGateway id="Split"/><parallelGateway id="Join"/>'
        f"{catch('C1', GO)}{catch('C2', GO)}"
        f'{tasks("B")}<endEvent id="E"/>'
        f"{chain('S', 'Split', 'C1', 'Join', 'B', 'E')}{chain('Split', 'C2', 'Join')}"
    )
    lines = run(bpmn(body, extra=SIGNAL), [{"signal": "go"}, {"signal": "go"}])
    expect(lines[0], waiting=["signal:go"])
    expect(lines[1], open={"B": 1})
    unchanged(lines, 2)


def test_wcp23_other_signals_do_not_fire_the_catch() -> None:
    lines = run(waits_at(CATCH_SIGNAL, SIGNAL), [{"complete": "A"}, {"signal": "stop"}])
    expect(lines[2], log={"A": 1}, waiting=["signal:go"])


def thrown_inside(throw: str, event: str, extra: str) -> str:
    """Two branches: A -> throw event; B -> catch event C -> D."""
    return bpmn(
        f'<startEvent id="S"/><parallelGateway id="Split"/>{tasks("A", "B", "D")}'
        f'<intermediateThrowEvent id="Th">{throw}</intermediateThrowEvent>{event}'
        '<endEvent id="E1"/><endEvent id="E2"/>'
        f"{chain('S', 'Split', 'A', 'Th', 'E1')}{chain('Split', 'B', 'C', 'D', 'E2')}",
        extra=extra,
    )


def test_wcp23_signal_thrown_in_the_process_before_the_catch_waits_is_lost() -> None:
    xml = thrown_inside('<signalEventDefinition signalRef="Sig_go"/>', CATCH_SIGNAL, SIGNAL)
    early = run(xml, [{"complete": "A"}, {"complete": "B"}])
    expect(early[1], open={"B": 1}, log={"A": 1})
    expect(early[2], log={"A": 1, "B": 1}, waiting=["signal:go"])
    late = run(xml, [{"complete": "B"}, {"complete": "A"}])
    expect(late[1], open={"A": 1}, log={"B": 1}, waiting=["signal:go"])
    expect(late[2], open={"D": 1}, log={"A": 1, "B": 1})


# --------------------------------------------------------------------------------- WCP-24


def test_wcp24_message_thrown_in_the_process_is_kept_until_the_catch_is_reached() -> None:
    xml = thrown_inside(
        '<messageEventDefinition messageRef="Msg_approve"/>', CATCH_MESSAGE, MESSAGE
    )
    lines = run(xml, [{"complete": "A"}, {"complete": "B"}])
    expect(lines[1], open={"B": 1}, log={"A": 1})
    expect(lines[2], open={"D": 1}, log={"A": 1, "B": 1})


def test_wcp24_message_before_the_catch_is_kept_until_reached() -> None:
    lines = run(
        waits_at(CATCH_MESSAGE, MESSAGE),
        [{"message": "approve", "data": {"approved": True}}, {"complete": "A"}],
    )
    expect(lines[0], open={"A": 1})
    expect(lines[1], open={"A": 1})  # kept, not shown as a subscription
    assert lines[1]["data"] == {}  # not consumed yet
    expect(lines[2], open={"B": 1}, log={"A": 1})
    assert lines[2]["data"] == {"approved": True}


def test_wcp24_message_while_waiting_is_consumed_at_once() -> None:
    lines = run(waits_at(CATCH_MESSAGE, MESSAGE), [{"complete": "A"}, {"message": "approve"}])
    expect(lines[1], log={"A": 1}, waiting=["message:approve"])
    expect(lines[2], open={"B": 1}, log={"A": 1})


def test_wcp24_each_message_is_consumed_once() -> None:
    second = CATCH_MESSAGE.replace('id="C"', 'id="C2"')
    xml = bpmn(
        f'<startEvent id="S"/>{tasks("A", "B")}{CATCH_MESSAGE}{second}<endEvent id="E"/>'
        f"{chain('S', 'A', 'C', 'C2', 'B', 'E')}",
        extra=MESSAGE,
    )
    lines = run(xml, [{"message": "approve"}, {"complete": "A"}, {"message": "approve"}])
    expect(lines[2], log={"A": 1}, waiting=["message:approve"])
    expect(lines[3], open={"B": 1}, log={"A": 1})


def test_wcp24_receive_task_takes_a_message_sent_earlier() -> None:
    receive = '<receiveTask id="C" messageRef="Msg_approve"/>'
    lines = run(
        waits_at(receive, MESSAGE),
        [{"message": "approve"}, {"complete": "A"}, {"complete": "B"}],
    )
    expect(lines[1], open={"A": 1})
    expect(lines[2], open={"B": 1}, log={"A": 1})
    expect(lines[3], "completed", log={"A": 1, "B": 1})


def test_wcp24_receive_task_waits_for_its_message() -> None:
    receive = '<receiveTask id="C" messageRef="Msg_approve"/>'
    lines = run(waits_at(receive, MESSAGE), [{"complete": "A"}, {"message": "approve"}])
    expect(lines[1], log={"A": 1}, waiting=["message:approve"])
    expect(lines[2], open={"B": 1}, log={"A": 1})


def test_wcp24_kept_message_interrupts_the_task_as_soon_as_its_boundary_is_armed() -> None:
    xml = bpmn(
        f'<startEvent id="S"/>{tasks("A", "B", "C", "Z")}<endEvent id="E"/>'
        '<boundaryEvent id="X" attachedToRef="B"><messageEventDefinition messageRef="Msg_approve"/>'
        f"</boundaryEvent>{chain('S', 'A', 'B', 'C', 'E')}{chain('X', 'Z', 'E')}",
        extra=MESSAGE,
    )
    lines = run(xml, [{"message": "approve"}, {"complete": "A"}])
    expect(lines[1], open={"A": 1})
    expect(lines[2], open={"Z": 1}, log={"A": 1})


def test_wcp24_kept_message_nobody_waits_for_does_not_keep_the_case_alive() -> None:
    lines = run(
        waits_at(CATCH_MESSAGE, MESSAGE),
        [{"message": "approve"}, {"message": "approve"}, {"complete": "A"}, {"complete": "B"}],
    )
    expect(lines[3], open={"B": 1}, log={"A": 1})
    expect(lines[4], "completed", log={"A": 1, "B": 1})


# --------------------------------------------------------------------------------- timers


def test_timers_timer_event_fires_an_armed_timer_only() -> None:
    lines = run(
        waits_at(HOUR_AT_C), [{"timer": "C"}, {"complete": "A"}, {"timer": "C"}, {"timer": "C"}]
    )
    rejected(lines, 1)  # not armed yet
    expect(lines[2], log={"A": 1}, waiting=["timer:C"])
    expect(lines[3], open={"B": 1}, log={"A": 1})
    rejected(lines, 4)  # fired once, no longer armed


def test_timers_timer_event_naming_no_armed_timer_is_rejected() -> None:
    lines = run(waits_at(tasks("C")), [{"timer": "C"}, {"timer": "Nope"}, {"advance": "soon"}])
    rejected(lines, 1)
    rejected(lines, 2)
    rejected(lines, 3)


def test_timers_advance_fires_timers_that_fall_due() -> None:
    lines = run(
        waits_at(HOUR_AT_C), [{"complete": "A"}, {"advance": "PT30M"}, {"advance": "PT30M"}]
    )
    expect(lines[1], log={"A": 1}, waiting=["timer:C"])
    unchanged(lines, 2)
    expect(lines[3], open={"B": 1}, log={"A": 1})


def test_timers_advance_fires_timers_armed_during_the_advance_when_due_within_it() -> None:
    hour = timer("timeDuration", "PT1H")
    xml = bpmn(
        f'<startEvent id="S"/>{catch("T1", hour)}{catch("T2", hour)}{tasks("B")}<endEvent id="E"/>'
        f"{chain('S', 'T1', 'T2', 'B', 'E')}"
    )
    at_once = run(xml, [{"advance": "PT2H"}])
    expect(at_once[0], waiting=["timer:T1"])
    expect(at_once[1], open={"B": 1})
    stepwise = run(xml, [{"advance": "PT119M"}, {"advance": "PT1M"}])
    expect(stepwise[1], waiting=["timer:T2"])  # armed at 1h, due at 2h
    expect(stepwise[2], open={"B": 1})


def test_timers_date_timer_fires_when_the_clock_passes_its_date() -> None:
    date = timer("timeDate", "2030-01-01T00:00:00Z")
    lines = run(
        waits_at(catch("C", date)),
        [{"complete": "A"}, {"advance": "PT11H"}, {"advance": "PT1H"}],
        now="2029-12-31T12:00:00Z",
    )
    expect(lines[1], log={"A": 1}, waiting=["timer:C"])
    unchanged(lines, 2)
    expect(lines[3], open={"B": 1}, log={"A": 1})


def test_timers_armed_when_reached_not_when_the_case_starts() -> None:
    lines = run(waits_at(HOUR_AT_C), [{"advance": "PT2H"}, {"complete": "A"}, {"advance": "PT1H"}])
    expect(lines[1], open={"A": 1})
    expect(lines[2], log={"A": 1}, waiting=["timer:C"])
    expect(lines[3], open={"B": 1}, log={"A": 1})


def test_timers_interrupting_boundary_timer_withdraws_the_task() -> None:
    lines = run(
        guarded(timer("timeDuration", "PT1H")),
        [{"start": "A"}, {"advance": "PT1H"}, {"complete": "A"}, {"complete": "Z"}],
    )
    expect(lines[0], open={"A": 1}, waiting=["timer:T"])
    expect(lines[1], open={"A": 1}, started={"A": 1}, waiting=["timer:T"])
    expect(lines[2], open={"Z": 1})
    rejected(lines, 3)
    expect(lines[4], "completed", log={"Z": 1})  # B never offered


def test_timers_boundary_timer_disarmed_when_the_task_completes() -> None:
    lines = run(
        guarded(timer("timeDuration", "PT1H")),
        [{"complete": "A"}, {"timer": "T"}, {"advance": "PT2H"}],
    )
    expect(lines[1], open={"B": 1}, log={"A": 1})
    rejected(lines, 2)
    unchanged(lines, 3)


def test_timers_non_interrupting_boundary_keeps_the_task_and_starts_the_extra_path() -> None:
    lines = run(
        guarded(timer("timeDuration", "PT1H"), interrupting=False),
        [{"start": "A"}, {"timer": "T"}, {"complete": "Z"}, {"complete": "A"}, {"complete": "B"}],
    )
    expect(lines[1], open={"A": 1}, started={"A": 1}, waiting=["timer:T"])
    expect(lines[2], open={"A": 1, "Z": 1}, started={"A": 1})
    expect(lines[3], open={"A": 1}, started={"A": 1}, log={"Z": 1})
    expect(lines[4], open={"B": 1}, log={"A": 1, "Z": 1})
    expect(lines[5], "completed", log={"A": 1, "B": 1, "Z": 1})


def test_timers_cycle_fires_its_repetitions_then_stops() -> None:
    lines = run(
        guarded(timer("timeCycle", "R3/PT1H"), interrupting=False),
        [{"advance": "PT1H"}, {"advance": "PT1H"}, {"advance": "PT1H"}, {"advance": "PT1H"}],
    )
    expect(lines[0], open={"A": 1}, waiting=["timer:T"])
    expect(lines[1], open={"A": 1, "Z": 1}, waiting=["timer:T"])
    expect(lines[2], open={"A": 1, "Z": 2}, waiting=["timer:T"])
    expect(lines[3], open={"A": 1, "Z": 3})
    unchanged(lines, 4)


def test_timers_cycle_stops_when_its_task_completes() -> None:
    lines = run(
        guarded(timer("timeCycle", "R3/PT1H"), interrupting=False),
        [{"advance": "PT1H"}, {"complete": "A"}, {"advance": "PT5H"}],
    )
    expect(lines[1], open={"A": 1, "Z": 1}, waiting=["timer:T"])
    expect(lines[2], open={"B": 1, "Z": 1}, log={"A": 1})
    unchanged(lines, 3)


def test_timers_one_long_advance_fires_every_due_repetition() -> None:
    lines = run(
        guarded(timer("timeCycle", "R3/PT1H"), interrupting=False),
        [{"advance": "PT150M"}, {"advance": "P1D"}],
    )
    expect(lines[1], open={"A": 1, "Z": 2}, waiting=["timer:T"])
    expect(lines[2], open={"A": 1, "Z": 3})
