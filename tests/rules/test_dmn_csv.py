"""DMN files written by other tools imported and evaluated; DMN and CSV export round trips."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from rules.core import DecisionTable, RuleDefinitionError, compile_rule, hit_policy_overlaps
from rules.core.dmn import DMN13_NS, DmnError, export_dmn, parse_dmn
from rules.core.tabular import export_csv, import_csv

FIXTURES = Path(__file__).parent / "fixtures"


def load(name: str) -> Any:
    return parse_dmn((FIXTURES / name).read_bytes())


@pytest.mark.parametrize(
    ("season", "guests", "dish"),
    [
        ("Fall", 8, "Spareribs"),
        ("Winter", 3, "Roastbeef"),
        ("Spring", 4, "Dry Aged Gourmet Steak"),
        ("Spring", 5, "Steak"),
        ("Winter", 9, "Stew"),
        ("Summer", 50, "Light Salad and a nice Steak"),
        ("Monsoon", 2, "Instant Soup"),
    ],
)
def test_camunda_dish_known_answers(season: str, guests: int, dish: str) -> None:
    decision = load("camunda-dish.dmn")
    assert decision.key == "dish"
    assert decision.name == "Dish"
    table = compile_rule(decision.definition)
    assert isinstance(table, DecisionTable)
    assert table.hit_policy == "unique"
    assert [column.type for column in table.input_columns] == ["string", "number"]
    assert table.evaluate({"season": season, "guestCount": guests}).result == {"desiredDish": dish}
    assert hit_policy_overlaps(table) == []


@pytest.mark.parametrize(
    ("score", "amount", "outcome", "selected"),
    [
        (500, 10_000, "Decline", 0),
        (650, 10_000, "Refer", 1),
        (750, 400_000, "Approve", 2),
        (750, 2_000_000, "Decline", 3),  # Decline outranks nothing else matching
        (750, 700_000, "Refer", None),  # no row: the default output
    ],
)
def test_kie_priority_table_with_output_values_and_default(
    score: int, amount: int, outcome: str, selected: int | None
) -> None:
    decision = load("kie-loan-priority.dmn")
    assert decision.key == "_Decision_Outcome"
    assert decision.definition["outputs"][0]["allowed"] == ["Decline", "Refer", "Approve"]
    assert decision.definition["rules"][0]["description"] == "poor credit"
    table = compile_rule(decision.definition)
    evaluation = table.evaluate({"credit_score": score, "amount": amount})
    assert evaluation.result == {"outcome": outcome}
    assert evaluation.selected == (() if selected is None else (selected,))


def test_priority_picks_the_highest_ranked_output_among_matches() -> None:
    table = compile_rule(load("kie-loan-priority.dmn").definition)
    # Rows 2 (Refer: fair credit) and 4 (Decline: too large) both match; Decline ranks first.
    evaluation = table.evaluate({"credit_score": 650, "amount": 5_000_000})
    assert evaluation.matched == (1, 3)
    assert evaluation.result == {"outcome": "Decline"}


def test_flowable_dmn_11_collect_sum() -> None:
    decision = load("flowable-collect-sum.dmn")
    assert decision.description == "Every fee that applies is added up."
    table = compile_rule(decision.definition)
    assert table.evaluate({"amount": 200_000, "express": True}).result == 375.5
    assert table.evaluate({"amount": 1_000, "express": False}).result == 50
    assert table.evaluate({"amount": 1_000, "express": False}).selected == (0,)


def test_drd_takes_the_decision_table_and_names_outputs() -> None:
    decision = load("drd-two-decisions.dmn")
    assert decision.key == "senior-approver"
    names = [output["name"] for output in decision.definition["outputs"]]
    assert names == ["role", "named_approver"]
    table = compile_rule(decision.definition)
    gold = {"amount": 600_000, "customer": {"tier": "gold"}}
    assert table.evaluate(gold).result == {"role": "underwriters", "named_approver": "carla"}
    assert table.evaluate({"amount": 5}).result == {"role": "loan-officers", "named_approver": None}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("<definitions/>", "DMN 1.1 to 1.5"),
        ("not xml", "not well-formed"),
        (
            '<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/"><decision id="d">'
            "<literalExpression><text>1</text></literalExpression></decision></definitions>",
            "no decision whose logic is a decision table",
        ),
        ('<!DOCTYPE x [<!ENTITY a "b">]><definitions/>', "DOCTYPE"),
    ],
)
def test_not_a_decision_table(text: str, message: str) -> None:
    with pytest.raises(DmnError, match=message):
        parse_dmn(text)


def test_unsupported_feel_is_reported_per_cell() -> None:
    text = (FIXTURES / "camunda-dish.dmn").read_text().replace("&lt;= 8", "date(x) &gt; 3", 1)
    with pytest.raises(RuleDefinitionError) as error:
        compile_rule(parse_dmn(text).definition)
    assert error.value.problems[0].path == "rules[1].inputs[1]"


@pytest.mark.parametrize(
    "name",
    [
        "camunda-dish.dmn",
        "kie-loan-priority.dmn",
        "flowable-collect-sum.dmn",
        "drd-two-decisions.dmn",
    ],
)
def test_export_is_dmn_13_and_imports_back_the_same(name: str) -> None:
    decision = load(name)
    exported = export_dmn(
        key="my-rule",
        name=decision.name,
        description=decision.description,
        definition=decision.definition,
    )
    root = etree.fromstring(exported)
    assert root.tag == f"{{{DMN13_NS}}}definitions"
    again = parse_dmn(exported)
    assert again.key == "my-rule"
    assert again.description == decision.description
    assert again.definition == {**decision.definition}


def test_csv_round_trip_keeps_cells_and_settings() -> None:
    definition = load("kie-loan-priority.dmn").definition
    text = export_csv(definition)
    assert (
        text.splitlines()[0]
        == "input:credit_score:number,input:amount:number,output:outcome:string,description"
    )
    assert text.splitlines()[1] == '< 580,-,"""Decline""",poor credit'
    back = import_csv(text, definition)
    assert back["rules"] == definition["rules"]
    assert back["outputs"] == definition["outputs"]  # allowed values and default kept
    assert back["hit_policy"] == "priority"
    compile_rule(back)


def test_csv_problems_name_the_place() -> None:
    with pytest.raises(RuleDefinitionError) as error:
        import_csv("input:x,wat\n1,2\n", {})
    assert error.value.problems[0].path == "header[1]"
    with pytest.raises(RuleDefinitionError) as error:
        import_csv("input:x,output:y\n1,2,3\n", {})
    assert error.value.problems[0].path == "line[2]"
    with pytest.raises(RuleDefinitionError):
        import_csv("", {})
