"""Multiple-instance patterns, played step by step.

WCP-12 MI without Synchronization, WCP-13 MI with a priori Design-Time Knowledge, WCP-14 MI with a
priori Run-Time Knowledge, WCP-15 MI without a priori Run-Time Knowledge, WCP-26 Cancel Multiple
Instance Task, WCP-27 Complete Multiple Instance Task, WCP-34 Static Partial Join for MI, WCP-35
Cancelling Partial Join for MI, WCP-36 Dynamic Partial Join for MI.
"""

from __future__ import annotations

from tests.patterns.support import bpmn, chain, expect, flow, rejected, run, tasks


def mi(
    cardinality: str | None = "3",
    *,
    completion: str | None = None,
    sequential: bool = False,
    **itn: str,
) -> str:
    """A ``multiInstanceLoopCharacteristics`` element; keyword arguments are ``itn:`` attributes."""
    attributes = f'isSequential="{str(sequential).lower()}"'
    attributes += "".join(f' itn:{name}="{value}"' for name, value in itn.items())
    inner = ""
    if cardinality is not None:
        inner += f"<loopCardinality>{cardinality}</loopCardinality>"
    if completion is not None:
        escaped = completion.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        inner += f"<completionCondition>{escaped}</completionCondition>"
    return (
        f"<multiInstanceLoopCharacteristics {attributes}>{inner}</multiInstanceLoopCharacteristics>"
    )


def straight(loop: str, *, boundary: str = "", extra: str = "") -> str:
    """S -> A (multi-instance user task) -> B -> E, plus an optional boundary path."""
    return bpmn(
        '<startEvent id="S"/>'
        f'<userTask id="A">{loop}</userTask>'
        f"{tasks('B')}<endEvent id='E'/>{chain('S', 'A', 'B', 'E')}{boundary}",
        extra=extra,
    )


# --------------------------------------------------------------------------------- WCP-12


def test_wcp12_successor_offered_as_soon_as_instances_are_created() -> None:
    lines = run(
        straight(mi("3", synchronize="false")),
        [{"complete": "B"}, {"complete": "A"}, {"complete": "A"}, {"complete": "A"}],
    )
    expect(lines[0], open={"A": 3, "B": 1})
    expect(lines[1], open={"A": 3}, log={"B": 1})
    expect(lines[2], open={"A": 2}, log={"A": 1, "B": 1})
    expect(lines[3], open={"A": 1}, log={"A": 2, "B": 1})
    expect(lines[4], "completed", log={"A": 3, "B": 1})


def test_wcp12_instance_completions_do_not_trigger_the_successor_again() -> None:
    lines = run(
        straight(mi("2", synchronize="false")),
        [{"complete": "A"}, {"complete": "A"}, {"complete": "B"}],
    )
    expect(lines[1], open={"A": 1, "B": 1}, log={"A": 1})
    expect(lines[2], open={"B": 1}, log={"A": 2})
    expect(lines[3], "completed", log={"A": 2, "B": 1})


# --------------------------------------------------------------------------------- WCP-13


def test_wcp13_parallel_instances_offered_together_and_synchronized() -> None:
    lines = run(
        straight(mi("3")),
        [
            {"start": "A"},
            {"complete": "A"},
            {"complete": "A"},
            {"complete": "B"},
            {"complete": "A"},
            {"complete": "B"},
        ],
    )
    expect(lines[0], open={"A": 3})
    expect(lines[1], open={"A": 3}, started={"A": 1})
    expect(lines[2], open={"A": 2}, log={"A": 1})
    expect(lines[3], open={"A": 1}, log={"A": 2})
    rejected(lines, 4)  # B is not offered before every instance has completed
    expect(lines[5], open={"B": 1}, log={"A": 3})
    expect(lines[6], "completed", log={"A": 3, "B": 1})


def test_wcp13_sequential_instances_offered_one_at_a_time() -> None:
    lines = run(
        straight(mi("3", sequential=True)),
        [{"start": "A"}, {"start": "A"}, {"complete": "A"}, {"complete": "A"}, {"complete": "A"}],
    )
    expect(lines[0], open={"A": 1})
    expect(lines[1], open={"A": 1}, started={"A": 1})
    rejected(lines, 2)  # the second instance does not exist yet
    expect(lines[3], open={"A": 1}, log={"A": 1})
    expect(lines[4], open={"A": 1}, log={"A": 2})
    expect(lines[5], open={"B": 1}, log={"A": 3})


# --------------------------------------------------------------------------------- WCP-14


def test_wcp14_cardinality_read_from_case_data_when_the_activity_starts() -> None:
    lines = run(
        straight(mi("copies")),
        [{"complete": "A", "data": {"copies": 5}}, {"complete": "A"}],
        {"copies": 2},
    )
    expect(lines[0], open={"A": 2})
    expect(lines[1], open={"A": 1}, log={"A": 1})  # changing the data adds no instance
    expect(lines[2], open={"B": 1}, log={"A": 2})


def test_wcp14_cardinality_zero_or_empty_collection_passes_straight_on() -> None:
    by_count = run(straight(mi("copies")), [], {"copies": 0})
    by_items = run(straight(mi(None, collection="orders")), [], {"orders": []})
    expect(by_count[0], open={"B": 1})
    expect(by_items[0], open={"B": 1})


def test_wcp14_each_instance_sees_its_own_item() -> None:
    small = "order == 'small'"
    per_order = (
        '<subProcess id="A">'
        f"{mi(None, collection='orders', elementVariable='order')}"
        '<startEvent id="S2"/><exclusiveGateway id="G" default="toReview"/>'
        f"{tasks('Quick', 'Review')}<endEvent id='E2'/>"
        f"{flow('S2', 'G')}{flow('G', 'Quick', small)}"
        f"{flow('G', 'Review', flow_id='toReview')}{chain('Quick', 'E2')}{chain('Review', 'E2')}"
        "</subProcess>"
    )
    xml = bpmn(
        f'<startEvent id="S"/>{per_order}{tasks("B")}<endEvent id="E"/>{chain("S", "A", "B", "E")}'
    )
    lines = run(
        xml,
        [{"complete": "Review"}, {"complete": "Quick"}, {"complete": "Quick"}],
        {"orders": ["small", "large", "small"]},
    )
    expect(lines[0], open={"Quick": 2, "Review": 1})
    expect(lines[1], open={"Quick": 2}, log={"Review": 1})
    expect(lines[2], open={"Quick": 1}, log={"Quick": 1, "Review": 1})
    expect(lines[3], open={"B": 1}, log={"Quick": 2, "Review": 1})


def test_wcp14_each_instance_sees_its_own_loop_counter() -> None:
    per_instance = (
        '<subProcess id="A">'
        f"{mi('3')}"
        '<startEvent id="S2"/><exclusiveGateway id="G" default="toOther"/>'
        f"{tasks('First', 'Other')}<endEvent id='E2'/>"
        f"{flow('S2', 'G')}{flow('G', 'First', 'loopCounter == 0')}"
        f"{flow('G', 'Other', flow_id='toOther')}{chain('First', 'E2')}{chain('Other', 'E2')}"
        "</subProcess>"
    )
    xml = bpmn(
        f'<startEvent id="S"/>{per_instance}{tasks("B")}<endEvent id="E"/>'
        f"{chain('S', 'A', 'B', 'E')}"
    )
    expect(run(xml, [])[0], open={"First": 1, "Other": 2})


def test_wcp14_standard_loop_data_input_names_the_collection() -> None:
    loop = (
        '<multiInstanceLoopCharacteristics isSequential="false">'
        '<loopDataInputRef>orders</loopDataInputRef><inputDataItem id="order" name="order"/>'
        "</multiInstanceLoopCharacteristics>"
    )
    lines = run(straight(loop), [], {"orders": ["x", "y"]})
    expect(lines[0], open={"A": 2})


# --------------------------------------------------------------------------------- WCP-15


def test_wcp15_instances_added_while_running_until_closed() -> None:
    lines = run(
        straight(mi("1", dynamic="true")),
        [
            {"add_instance": "A"},
            {"complete": "A"},
            {"add_instance": "A"},
            {"close_instances": "A"},
            {"add_instance": "A"},
            {"complete": "A"},
            {"complete": "A"},
        ],
    )
    expect(lines[0], open={"A": 1})
    expect(lines[1], open={"A": 2})
    expect(lines[2], open={"A": 1}, log={"A": 1})
    expect(lines[3], open={"A": 2}, log={"A": 1})
    expect(lines[4], open={"A": 2}, log={"A": 1})  # closed: B waits for the running instances
    rejected(lines, 5)  # no instance can be added after closing
    expect(lines[6], open={"A": 1}, log={"A": 2})
    expect(lines[7], open={"B": 1}, log={"A": 3})


def test_wcp15_completed_instances_wait_for_closing() -> None:
    lines = run(
        straight(mi(None, dynamic="true")),
        [
            {"add_instance": "A"},
            {"complete": "A"},
            {"add_instance": "A"},
            {"complete": "A"},
            {"close_instances": "A"},
            {"add_instance": "A"},
        ],
    )
    expect(lines[0])  # no instance yet, but more can come: the case waits
    expect(lines[1], open={"A": 1})
    expect(lines[2], log={"A": 1})  # every instance done, not closed: no successor yet
    expect(lines[3], open={"A": 1}, log={"A": 1})
    expect(lines[4], log={"A": 2})
    expect(lines[5], open={"B": 1}, log={"A": 2})
    rejected(lines, 6)


def test_wcp15_sequential_dynamic_instances_run_one_after_another() -> None:
    lines = run(
        straight(mi("1", sequential=True, dynamic="true")),
        [
            {"add_instance": "A"},
            {"close_instances": "A"},
            {"complete": "A"},
            {"complete": "A"},
        ],
    )
    expect(lines[1], open={"A": 1})  # the added instance waits for its turn
    expect(lines[2], open={"A": 1})
    expect(lines[3], open={"A": 1}, log={"A": 1})
    expect(lines[4], open={"B": 1}, log={"A": 2})


def test_wcp15_instances_cannot_be_added_to_a_static_mi_task() -> None:
    lines = run(straight(mi("2")), [{"add_instance": "A"}, {"close_instances": "A"}])
    rejected(lines, 1)
    rejected(lines, 2)


# --------------------------------------------------------------------------------- WCP-26

STOP = '<message id="Msg_stop" name="stop"/>'


def cancel_path(definition: str) -> str:
    return (
        f'<boundaryEvent id="X" attachedToRef="A">{definition}</boundaryEvent>'
        f"{tasks('Z')}<endEvent id='EZ'/>{chain('X', 'Z', 'EZ')}"
    )


def test_wcp26_boundary_message_withdraws_all_remaining_instances() -> None:
    xml = straight(
        mi("3"), boundary=cancel_path('<messageEventDefinition messageRef="Msg_stop"/>'), extra=STOP
    )
    lines = run(
        xml,
        [
            {"start": "A"},
            {"complete": "A"},
            {"start": "A"},
            {"message": "stop"},
            {"complete": "A"},
            {"complete": "Z"},
        ],
    )
    expect(lines[0], open={"A": 3}, waiting=["message:stop"])
    expect(lines[2], open={"A": 2}, log={"A": 1}, waiting=["message:stop"])
    expect(lines[3], open={"A": 2}, started={"A": 1}, log={"A": 1}, waiting=["message:stop"])
    expect(lines[4], open={"Z": 1}, log={"A": 1})
    rejected(lines, 5)
    expect(lines[6], "completed", log={"A": 1, "Z": 1})  # B never offered


def test_wcp26_cancelling_a_sequential_mi_task_creates_no_further_instance() -> None:
    xml = straight(
        mi("3", sequential=True),
        boundary=cancel_path('<messageEventDefinition messageRef="Msg_stop"/>'),
        extra=STOP,
    )
    lines = run(xml, [{"complete": "A"}, {"message": "stop"}, {"complete": "Z"}])
    expect(lines[1], open={"A": 1}, log={"A": 1}, waiting=["message:stop"])
    expect(lines[2], open={"Z": 1}, log={"A": 1})
    expect(lines[3], "completed", log={"A": 1, "Z": 1})


def test_wcp26_boundary_timer_withdraws_all_remaining_instances() -> None:
    timer = "<timerEventDefinition><timeDuration>PT1H</timeDuration></timerEventDefinition>"
    lines = run(
        straight(mi("3"), boundary=cancel_path(timer)),
        [{"complete": "A"}, {"advance": "PT59M"}, {"advance": "PT1M"}, {"complete": "Z"}],
    )
    expect(lines[0], open={"A": 3}, waiting=["timer:X"])
    expect(lines[2], open={"A": 2}, log={"A": 1}, waiting=["timer:X"])
    expect(lines[3], open={"Z": 1}, log={"A": 1})
    expect(lines[4], "completed", log={"A": 1, "Z": 1})


def test_wcp26_completed_mi_task_disarms_its_boundary() -> None:
    xml = straight(
        mi("2"), boundary=cancel_path('<messageEventDefinition messageRef="Msg_stop"/>'), extra=STOP
    )
    lines = run(xml, [{"complete": "A"}, {"complete": "A"}, {"message": "stop"}])
    expect(lines[2], open={"B": 1}, log={"A": 2})
    expect(lines[3], open={"B": 1}, log={"A": 2})  # kept, nobody waits: Z is not started


# --------------------------------------------------------------------------------- WCP-27


def test_wcp27_force_complete_withdraws_the_rest_and_continues() -> None:
    lines = run(
        straight(mi("3")),
        [
            {"complete": "A"},
            {"start": "A"},
            {"force_complete": "A"},
            {"complete": "A"},
            {"force_complete": "A"},
            {"complete": "B"},
        ],
    )
    expect(lines[2], open={"A": 2}, started={"A": 1}, log={"A": 1})
    expect(lines[3], open={"B": 1}, log={"A": 1})
    rejected(lines, 4)
    rejected(lines, 5)
    expect(lines[6], "completed", log={"A": 1, "B": 1})


def test_wcp27_force_complete_needs_a_running_mi_task() -> None:
    lines = run(straight(mi("2")), [{"force_complete": "B"}, {"force_complete": "Nope"}])
    rejected(lines, 1)
    rejected(lines, 2)


def test_wcp27_completion_condition_on_data_completes_the_mi_task() -> None:
    lines = run(
        straight(mi("3", completion='verdict == "stop"')),
        [
            {"complete": "A", "data": {"verdict": "go"}},
            {"complete": "A", "data": {"verdict": "stop"}},
        ],
        {"verdict": "go"},
    )
    expect(lines[1], open={"A": 2}, log={"A": 1})
    expect(lines[2], open={"B": 1}, log={"A": 2})


# --------------------------------------------------------------------------------- WCP-34


def test_wcp34_successor_after_n_of_m_and_the_rest_has_no_further_effect() -> None:
    lines = run(
        straight(mi("3", continueAfter="2")),
        [{"complete": "A"}, {"complete": "A"}, {"complete": "A"}, {"complete": "B"}],
    )
    expect(lines[1], open={"A": 2}, log={"A": 1})
    expect(lines[2], open={"A": 1, "B": 1}, log={"A": 2})
    expect(lines[3], open={"B": 1}, log={"A": 3})
    expect(lines[4], "completed", log={"A": 3, "B": 1})


def test_wcp34_remaining_instance_is_not_cancelled() -> None:
    lines = run(
        straight(mi("3", continueAfter="2")),
        [
            {"start": "A"},
            {"complete": "A"},
            {"complete": "A"},
            {"complete": "B"},
            {"complete": "A"},
        ],
    )
    expect(lines[3], open={"A": 1, "B": 1}, log={"A": 2})
    expect(lines[4], open={"A": 1}, log={"A": 2, "B": 1})  # the case waits for it
    expect(lines[5], "completed", log={"A": 3, "B": 1})


# --------------------------------------------------------------------------------- WCP-35


def test_wcp35_completion_condition_withdraws_remaining_instances() -> None:
    lines = run(
        straight(mi("3", completion="nrOfCompletedInstances >= 2")),
        [
            {"start": "A"},
            {"start": "A"},
            {"start": "A"},
            {"complete": "A"},
            {"complete": "A"},
            {"complete": "A"},
            {"complete": "B"},
        ],
    )
    expect(lines[3], open={"A": 3}, started={"A": 3})
    expect(lines[4], open={"A": 2}, started={"A": 2}, log={"A": 1})
    expect(lines[5], open={"B": 1}, log={"A": 2})  # the started third instance is withdrawn
    rejected(lines, 6)
    expect(lines[7], "completed", log={"A": 2, "B": 1})


def test_wcp35_join_resets_for_the_next_iteration() -> None:
    xml = bpmn(
        '<startEvent id="S"/><exclusiveGateway id="M"/>'
        f'<userTask id="A">{mi("3", completion="nrOfCompletedInstances >= 2")}</userTask>'
        '<exclusiveGateway id="G" default="out"/><endEvent id="E"/>'
        f"{tasks('B')}{chain('S', 'M', 'A', 'B', 'G')}{flow('G', 'M', 'again')}"
        f"{flow('G', 'E', flow_id='out')}"
    )
    lines = run(
        xml,
        [
            {"complete": "A"},
            {"complete": "A"},
            {"complete": "B", "data": {"again": True}},
            {"complete": "A"},
            {"complete": "A"},
            {"complete": "B", "data": {"again": False}},
        ],
    )
    expect(lines[2], open={"B": 1}, log={"A": 2})
    expect(lines[3], open={"A": 3}, log={"A": 2, "B": 1})  # three fresh instances
    expect(lines[4], open={"A": 2}, log={"A": 3, "B": 1})
    expect(lines[5], open={"B": 1}, log={"A": 4, "B": 1})
    expect(lines[6], "completed", log={"A": 4, "B": 2})


# --------------------------------------------------------------------------------- WCP-36


def test_wcp36_continue_condition_passes_on_closes_creation_and_lets_instances_run() -> None:
    lines = run(
        straight(mi("2", dynamic="true", continueCondition="found")),
        [
            {"add_instance": "A"},
            {"complete": "A"},
            {"complete": "A", "data": {"found": True}},
            {"add_instance": "A"},
            {"complete": "B"},
            {"complete": "A"},
        ],
        {"found": False},
    )
    expect(lines[1], open={"A": 3})
    expect(lines[2], open={"A": 2}, log={"A": 1})
    expect(lines[3], open={"A": 1, "B": 1}, log={"A": 2})
    rejected(lines, 4)  # creation closed when the condition became true
    expect(lines[5], open={"A": 1}, log={"A": 2, "B": 1})
    expect(lines[6], "completed", log={"A": 3, "B": 1})


def test_wcp36_later_completions_have_no_effect() -> None:
    lines = run(
        straight(mi("3", dynamic="true", continueCondition="nrOfCompletedInstances >= 1")),
        [{"complete": "A"}, {"complete": "A"}, {"complete": "A"}],
    )
    expect(lines[1], open={"A": 2, "B": 1}, log={"A": 1})
    expect(lines[2], open={"A": 1, "B": 1}, log={"A": 2})
    expect(lines[3], open={"B": 1}, log={"A": 3})
