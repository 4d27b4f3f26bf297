"""State-based patterns: WCP-16 Deferred Choice, WCP-17 Interleaved Parallel Routing,
WCP-18 Milestone, WCP-39 Critical Section, WCP-40 Interleaved Routing."""

from __future__ import annotations

from tests.patterns.support import bpmn, chain, flow, run, tasks, view

MESSAGES = '<message id="m_go" name="go"/><signal id="s_stop" name="stop"/>'


def deferred_choice() -> str:
    return bpmn(
        '<startEvent id="S"/><eventBasedGateway id="G"/>'
        '<intermediateCatchEvent id="Msg"><messageEventDefinition messageRef="m_go"/>'
        "</intermediateCatchEvent>"
        '<intermediateCatchEvent id="Timer"><timerEventDefinition><timeDuration>P1D'
        "</timeDuration></timerEventDefinition></intermediateCatchEvent>"
        '<userTask id="Call"/>'
        + tasks("AfterMsg", "AfterTimer", "AfterCall")
        + '<endEvent id="E"/>'
        + chain("S", "G")
        + flow("G", "Msg")
        + flow("G", "Timer")
        + flow("G", "Call")
        + chain("Msg", "AfterMsg", "E")
        + chain("Timer", "AfterTimer")
        + chain("Call", "AfterCall"),
        extra=MESSAGES,
    )


def test_wcp16_all_alternatives_are_offered_and_the_message_wins() -> None:
    lines = run(deferred_choice(), [{"message": "go", "data": {"x": 1}}, {"complete": "Call"}])
    start, message, late = lines
    assert view(start) == ("running", {"Call": 1}, {})
    assert start["waiting"] == ["message:go", "timer:Timer"]
    assert view(message) == ("running", {"AfterMsg": 1}, {})
    assert message["waiting"] == []
    assert message["data"] == {"x": 1}
    assert late["ok"] is False
    assert {k: v for k, v in late.items() if k not in ("step", "event", "ok", "error")} == {
        k: v for k, v in message.items() if k not in ("step", "event", "ok", "error")
    }


def test_wcp16_starting_the_work_item_withdraws_the_events() -> None:
    lines = run(deferred_choice(), [{"start": "Call"}, {"timer": "Timer"}, {"complete": "Call"}])
    started, timer, done = lines[1:]
    assert view(started) == ("running", {"Call": 1}, {})
    assert started["started"] == {"Call": 1}
    assert started["waiting"] == []
    assert timer["ok"] is False
    assert view(done) == ("running", {"AfterCall": 1}, {"Call": 1})


def test_wcp16_the_timer_wins_when_it_fires_first() -> None:
    lines = run(deferred_choice(), [{"advance": "PT23H"}, {"advance": "PT1H"}, {"start": "Call"}])
    assert view(lines[1]) == ("running", {"Call": 1}, {})
    assert view(lines[2]) == ("running", {"AfterTimer": 1}, {})
    assert lines[3]["ok"] is False


def adhoc(ordering_flows: str = "") -> str:
    return bpmn(
        '<startEvent id="S"/><adHocSubProcess id="Adhoc" ordering="Sequential">'
        + tasks("A", "B", "C")
        + ordering_flows
        + '</adHocSubProcess><userTask id="After"/><endEvent id="E"/>'
        + chain("S", "Adhoc", "After", "E")
    )


def test_wcp40_interleaved_routing_one_at_a_time_each_once() -> None:
    lines = run(
        adhoc(),
        [
            {"start": "B"},
            {"start": "A"},
            {"complete": "A"},
            {"complete": "B"},
            {"complete": "C"},
            {"complete": "A"},
        ],
    )
    start, started_b, try_a, try_complete_a, done_b, done_c, again = lines
    assert view(start) == ("running", {"A": 1, "B": 1, "C": 1}, {})
    # While B is being worked on, A and C are withheld: not open.
    assert view(started_b) == ("running", {"B": 1}, {})
    assert try_a["ok"] is False
    assert try_complete_a["ok"] is False
    assert view(done_b) == ("running", {"A": 1, "C": 1}, {"B": 1})
    assert view(done_c) == ("running", {"A": 1}, {"B": 1, "C": 1})
    assert view(again) == ("running", {"After": 1}, {"A": 1, "B": 1, "C": 1})


def test_wcp17_interleaved_parallel_routing_respects_the_partial_order() -> None:
    # A before C; B free.
    lines = run(adhoc(flow("A", "C")), [{"complete": "C"}, {"complete": "B"}, {"complete": "A"}])
    start, try_c, done_b, done_a = lines
    assert view(start) == ("running", {"A": 1, "B": 1}, {})
    assert try_c["ok"] is False
    assert view(done_b) == ("running", {"A": 1}, {"B": 1})
    assert view(done_a) == ("running", {"C": 1}, {"A": 1, "B": 1})


def milestone() -> str:
    # Branch 1: A -> B (the milestone state: B open) -> C.  Branch 2: D -> M (enabled while B).
    return bpmn(
        '<startEvent id="S"/><parallelGateway id="Split"/><parallelGateway id="Join"/>'
        + tasks("A", "B", "C", "D")
        + '<userTask id="M" itn:enabledWhile="B"/><endEvent id="E"/>'
        + chain("S", "Split")
        + chain("Split", "A", "B", "C", "Join")
        + chain("Split", "D", "M", "Join")
        + chain("Join", "E")
    )


def test_wcp18_milestone_enabled_only_while_the_state_holds() -> None:
    lines = run(milestone(), [{"complete": "D"}, {"complete": "A"}, {"complete": "M"}])
    _, after_d, after_a, done_m = lines
    # M's token has arrived but B is not open yet: M is not offered.
    assert view(after_d) == ("running", {"A": 1}, {"D": 1})
    assert view(after_a) == ("running", {"B": 1, "M": 1}, {"A": 1, "D": 1})
    assert view(done_m) == ("running", {"B": 1}, {"A": 1, "D": 1, "M": 1})


def test_wcp18_leaving_the_milestone_withdraws_the_task_and_skips_it() -> None:
    lines = run(
        milestone(),
        [
            {"complete": "A"},
            {"complete": "D"},
            {"start": "M"},
            {"complete": "B"},
            {"complete": "M"},
        ],
    )
    after_b, late_m = lines[4:]
    assert view(after_b) == ("running", {"C": 1}, {"A": 1, "B": 1, "D": 1})
    assert late_m["ok"] is False
    assert view(
        run(
            milestone(),
            [
                {"complete": "A"},
                {"complete": "D"},
                {"complete": "B"},
                {"complete": "C"},
            ],
        )[-1]
    ) == ("completed", {}, {"A": 1, "B": 1, "C": 1, "D": 1})


def test_wcp18_milestone_already_passed_skips_the_task() -> None:
    lines = run(milestone(), [{"complete": "A"}, {"complete": "B"}, {"complete": "D"}])
    assert view(lines[-1]) == ("running", {"C": 1}, {"A": 1, "B": 1, "D": 1})


def critical_section() -> str:
    # X in one branch and the sub-process Section (Y, Z) in another share the mutex "ledger".
    return bpmn(
        '<startEvent id="S"/><parallelGateway id="Split"/><parallelGateway id="Join"/>'
        '<userTask id="X" itn:mutex="ledger"/>'
        '<subProcess id="Section" itn:mutex="ledger"><startEvent id="S2"/>'
        + tasks("Y", "Z")
        + '<endEvent id="E2"/>'
        + chain("S2", "Y", "Z", "E2")
        + '</subProcess><userTask id="Free"/><endEvent id="E"/>'
        + chain("S", "Split")
        + chain("Split", "X", "Join")
        + chain("Split", "Section", "Join")
        + chain("Split", "Free", "Join")
        + chain("Join", "E")
    )


def test_wcp39_critical_section_excludes_the_other_section_until_complete() -> None:
    lines = run(
        critical_section(),
        [
            {"start": "Y"},
            {"start": "X"},
            {"complete": "Y"},
            {"complete": "Free"},
            {"complete": "Z"},
            {"complete": "X"},
        ],
    )
    start, started_y, try_x, done_y, done_free, done_z, done_x = lines
    assert view(start) == ("running", {"Free": 1, "X": 1, "Y": 1}, {})
    # The section holds the mutex from its first start to its completion.
    assert view(started_y) == ("running", {"Free": 1, "Y": 1}, {})
    assert try_x["ok"] is False
    assert view(done_y) == ("running", {"Free": 1, "Z": 1}, {"Y": 1})
    assert view(done_free)[1] == {"Z": 1}
    assert view(done_z) == ("running", {"X": 1}, {"Free": 1, "Y": 1, "Z": 1})
    assert view(done_x) == ("completed", {}, {"Free": 1, "X": 1, "Y": 1, "Z": 1})


def test_wcp39_the_task_holding_the_mutex_blocks_the_section() -> None:
    lines = run(critical_section(), [{"start": "X"}, {"start": "Y"}, {"complete": "X"}])
    assert view(lines[1]) == ("running", {"Free": 1, "X": 1}, {})
    assert lines[2]["ok"] is False
    assert view(lines[3]) == ("running", {"Free": 1, "Y": 1}, {"X": 1})
