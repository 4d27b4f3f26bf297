"""The stateless dry run: start, then one event at a time with the state the browser holds."""

from __future__ import annotations

import copy
import json

import pytest

from designer.simulation import dry_run_fire, dry_run_start
from tests.designer.support import PARALLEL_CHOICE, TIMER_PROCESS
from workflow_site.errors import ApplicationError


def roundtrip(view: dict) -> dict:
    """What the browser sends back: the state as JSON text, parsed again."""
    return json.loads(json.dumps(view["state"]))


def test_a_case_runs_step_by_step_with_the_state_held_by_the_caller() -> None:
    view = dry_run_start(bpmn_xml=PARALLEL_CHOICE, data={"amount": 5})
    assert view["status"] == "running"
    assert sorted(item["element"] for item in view["work_items"]) == ["A", "B"]
    assert {item["name"] for item in view["work_items"]} == {"Check A", "Check B"}
    assert view["tokens"] == {"A": 1, "B": 1}
    first = next(item for item in view["work_items"] if item["element"] == "A")

    view = dry_run_fire(
        bpmn_xml=PARALLEL_CHOICE,
        state=roundtrip(view),
        event={"complete": "A", "item": first["id"]},
    )
    assert view["ok"] is True
    assert [item["element"] for item in view["work_items"]] == ["B"]
    # The token that went through A waits at the join.
    assert view["tokens"] == {"F4": 1, "B": 1}
    assert view["log"] == {"A": 1}

    view = dry_run_fire(
        bpmn_xml=PARALLEL_CHOICE,
        state=roundtrip(view),
        event={"complete": "B", "data": {"amount": 500}},
    )
    assert view["status"] == "completed"
    assert view["data"] == {"amount": 500}
    assert view["tokens"] == {}


def test_a_rejected_event_leaves_the_state_as_it_was() -> None:
    view = dry_run_start(bpmn_xml=PARALLEL_CHOICE)
    before = roundtrip(view)
    rejected = dry_run_fire(
        bpmn_xml=PARALLEL_CHOICE, state=copy.deepcopy(before), event={"complete": "Nowhere"}
    )
    assert rejected["ok"] is False
    assert "Nowhere" in rejected["error"]
    assert rejected["state"] == before


def test_timers_and_messages_are_listed_and_can_be_fired() -> None:
    view = dry_run_start(bpmn_xml=TIMER_PROCESS, now="2030-01-01T09:00:00Z")
    assert view["waiting"] == ["message:approved", "timer:Timeout"]
    assert view["timers"] == [
        {
            "subscription": view["timers"][0]["subscription"],
            "element": "Timeout",
            "due": "2030-01-03T09:00:00+00:00",
        }
    ]
    fired = dry_run_fire(bpmn_xml=TIMER_PROCESS, state=roundtrip(view), event={"timer": "Timeout"})
    assert (fired["status"], fired["waiting"]) == ("completed", [])
    message = dry_run_fire(
        bpmn_xml=TIMER_PROCESS, state=roundtrip(view), event={"message": "approved"}
    )
    assert message["status"] == "completed"
    advanced = dry_run_fire(bpmn_xml=TIMER_PROCESS, state=roundtrip(view), event={"advance": "P3D"})
    assert advanced["status"] == "completed"
    assert advanced["clock"].startswith("2030-01-04T09:00")


@pytest.mark.parametrize(
    "state",
    [
        {},
        {"status": "running"},
        "not a state",
        "tampered",
    ],
)
def test_a_state_that_does_not_fit_the_process_is_a_400(state: object) -> None:
    if state == "tampered":
        view = dry_run_start(bpmn_xml=PARALLEL_CHOICE)
        state = roundtrip(view)
        state["activities"][0]["node"] = 999
    with pytest.raises(ApplicationError) as caught:
        dry_run_fire(bpmn_xml=PARALLEL_CHOICE, state=state, event={"complete": "A"})
    assert (caught.value.code, caught.value.field) == ("invalid_state", "state")


def test_a_state_of_another_process_is_refused() -> None:
    view = dry_run_start(bpmn_xml=TIMER_PROCESS)
    with pytest.raises(ApplicationError) as caught:
        dry_run_fire(bpmn_xml=PARALLEL_CHOICE, state=roundtrip(view), event={"complete": "A"})
    assert caught.value.code == "invalid_state"


def test_a_document_that_is_not_bpmn_names_bpmn_xml() -> None:
    with pytest.raises(ApplicationError) as caught:
        dry_run_start(bpmn_xml="<nope/>")
    assert (caught.value.code, caught.value.field) == ("invalid_bpmn", "bpmn_xml")


def test_a_bad_start_time_names_now() -> None:
    with pytest.raises(ApplicationError) as caught:
        dry_run_start(bpmn_xml=TIMER_PROCESS, now="yesterday")
    assert caught.value.field == "now"
