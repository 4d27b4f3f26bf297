"""The diff shown before publishing: elements added, removed and changed, by id."""

from __future__ import annotations

from designer.diff import bpmn_diff
from tests.designer.support import PARALLEL_CHOICE


def test_a_first_version_adds_everything() -> None:
    diff = bpmn_diff(None, PARALLEL_CHOICE)
    assert {row["id"] for row in diff["added"]} >= {"P", "Start", "A", "B", "Big", "Small"}
    assert diff["removed"] == diff["changed"] == []


def test_the_same_document_has_no_changes() -> None:
    diff = bpmn_diff(PARALLEL_CHOICE, PARALLEL_CHOICE)
    assert (diff["added"], diff["removed"], diff["changed"], diff["layout_changed"]) == (
        [],
        [],
        [],
        False,
    )


def test_added_removed_and_changed_elements_are_told_apart() -> None:
    new = (
        PARALLEL_CHOICE.replace('itn:sla="P1D"', 'itn:sla="P2D"')
        .replace("amount &gt; 100", "amount &gt; 200")
        .replace('<bpmn:endEvent id="EndSmall" />', '<bpmn:endEvent id="EndSmall" name="Small" />')
        .replace(
            '<bpmn:sequenceFlow id="F1" sourceRef="Start" targetRef="Split" />',
            '<bpmn:userTask id="Intake" name="Intake" />'
            '<bpmn:sequenceFlow id="F0" sourceRef="Start" targetRef="Intake" />'
            '<bpmn:sequenceFlow id="F1" sourceRef="Intake" targetRef="Split" />',
        )
        .replace('x="100"', 'x="140"')
    )
    diff = bpmn_diff(PARALLEL_CHOICE, new)
    assert [row["id"] for row in diff["added"]] == ["Intake", "F0"]
    changed = {row["id"]: row["changes"] for row in diff["changed"]}
    assert set(changed) == {"A", "Big", "EndSmall", "F1"}
    assert changed["A"] == ["itn:sla: 'P1D' → 'P2D'"]
    assert changed["Big"] == ["changed: conditionExpression"]
    assert changed["EndSmall"] == ["name set to 'Small'"]
    assert changed["F1"] == ["sourceRef: 'Start' → 'Intake'"]
    assert diff["layout_changed"] is True

    back = bpmn_diff(new, PARALLEL_CHOICE)
    assert [row["id"] for row in back["removed"]] == ["Intake", "F0"]


def test_a_changed_form_field_changes_its_task() -> None:
    new = PARALLEL_CHOICE.replace('label="Amount"', 'label="Amount in EUR"')
    diff = bpmn_diff(PARALLEL_CHOICE, new)
    assert [(row["id"], row["changes"]) for row in diff["changed"]] == [
        ("B", ["changed: extensionElements"])
    ]
