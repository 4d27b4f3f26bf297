"""Scenarios: an itinera play script plus expectations, checked line by line."""

from __future__ import annotations

from typing import Any

import pytest

from designer.scenarios import check_scenario, run_scenario
from processes.bpmn.importer import import_definitions
from tests.designer.support import PARALLEL_CHOICE
from workflow_site.errors import ApplicationError

DEFINITIONS = import_definitions(PARALLEL_CHOICE)
SCRIPT = {
    "data": {"amount": 5},
    "events": [{"complete": "A"}, {"complete": "B", "data": {"amount": 500}}],
}


def run(expect: list[Any], script: Any = SCRIPT) -> dict[str, Any]:
    check_scenario(script=script, expect=expect)
    return run_scenario(DEFINITIONS, script=script, expect=expect)


def test_expectations_that_hold_pass() -> None:
    result = run(
        [
            {"step": 0, "open": {"A": 1, "B": 1}, "state": "running"},
            {"step": 1, "open": {"B": 1}, "log": {"A": 1}, "waiting": []},
            {"state": "completed", "log": {"A": 1, "B": 1}, "data": {"amount": 500}},
        ]
    )
    assert result["passed"] is True, result["failures"]
    assert [line["step"] for line in result["lines"]] == [0, 1, 2]


def test_each_expectation_that_fails_is_reported_with_its_step_and_field() -> None:
    result = run(
        [
            {"step": 1, "open": {"A": 1}},
            {"state": "running", "data": {"amount": 5, "missing": 1}},
        ]
    )
    assert result["passed"] is False
    failures = {(f["expectation"], f["step"], f["field"]) for f in result["failures"]}
    assert failures == {(0, 1, "open"), (1, 2, "state"), (1, 2, "data")}
    state = next(f for f in result["failures"] if f["field"] == "state")
    assert (state["expected"], state["actual"]) == ("running", "completed")


def test_a_rejected_event_fails_unless_expected() -> None:
    script = {"events": [{"complete": "Nowhere"}]}
    failed = run([{"state": "running"}], script)
    assert failed["passed"] is False
    assert failed["failures"][0]["field"] == "ok"
    assert "rejected" in failed["failures"][0]["message"]
    passed = run([{"ok": False, "error": "Nowhere", "open": {"A": 1, "B": 1}}], script)
    assert passed["passed"] is True, passed["failures"]


def test_a_counted_zero_means_absent() -> None:
    assert run([{"step": 1, "open": {"A": 0, "B": 1}}])["passed"] is True


def test_the_script_file_is_what_itinera_play_reads() -> None:
    # play ignores "expect", so a scenario document runs as is in CI.
    from processes.engine.play import play

    document = {**SCRIPT, "expect": [{"state": "completed"}]}
    lines = list(play(DEFINITIONS, document))
    assert lines[-1]["state"] == "completed"


def test_a_case_that_fails_at_run_time_fails_its_scenario() -> None:
    broken = import_definitions(
        PARALLEL_CHOICE.replace(
            '<bpmn:endEvent id="EndBig" />',
            '<bpmn:callActivity id="EndBig" calledElement="Nowhere" />',
        )
    )
    result = run_scenario(broken, script=SCRIPT, expect=[{"state": "completed"}])
    assert result["passed"] is False
    assert result["lines"][-1]["state"] == "failed"
    assert result["failures"][0]["field"] == "state"


@pytest.mark.parametrize(
    ("script", "expect", "field"),
    [
        ("events", [], "script"),
        ({"events": "x"}, [], "script"),
        ({"events": [1]}, [], "script"),
        ({"data": [], "events": []}, [], "script"),
        (SCRIPT, {}, "expect"),
        (SCRIPT, [{}], "expect[0]"),
        (SCRIPT, [{"state": "completed"}, {"colour": "red"}], "expect[1]"),
        (SCRIPT, [{"step": 3, "state": "completed"}], "expect[0]"),
        (SCRIPT, [{"step": -1, "state": "completed"}], "expect[0]"),
        (SCRIPT, [{"step": True, "state": "completed"}], "expect[0]"),
        (SCRIPT, [{"step": 1}], "expect[0]"),
        (SCRIPT, [{"open": {"A": -1}}], "expect[0]"),
        (SCRIPT, [{"open": ["A"]}], "expect[0]"),
        (SCRIPT, [{"waiting": "timer:T"}], "expect[0]"),
        (SCRIPT, [{"ok": "yes"}], "expect[0]"),
        (SCRIPT, [{"data": 3}], "expect[0]"),
    ],
)
def test_malformed_scenarios_name_what_is_wrong(script: Any, expect: Any, field: str) -> None:
    with pytest.raises(ApplicationError) as caught:
        check_scenario(script=script, expect=expect)
    assert caught.value.field == field
