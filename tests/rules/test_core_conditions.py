"""Condition rules: every operator against known answers, groups, expressions, bad definitions."""

from __future__ import annotations

from typing import Any

import pytest

from rules.core import RuleDefinitionError, RuleError, compile_rule

DATA: dict[str, Any] = {
    "score": 640,
    "amount": 250_000.5,
    "tier": "gold",
    "tags": ["vip", "new"],
    "note": "",
    "empty_list": [],
    "flag": True,
    "applicant": {"age": 34, "country": "PT"},
    "nothing": None,
}


def holds(field: str, operator: str, value: Any, data: dict[str, Any] = DATA) -> bool:
    rule = compile_rule(
        {
            "kind": "condition",
            "conditions": [{"field": field, "operator": operator, "value": value}],
        }
    )
    return bool(rule.evaluate(data).result)


@pytest.mark.parametrize(
    ("field", "operator", "value", "expected"),
    [
        ("score", "eq", 640, True),
        ("score", "eq", 640.0, True),
        ("score", "eq", "640", False),
        ("flag", "eq", 1, False),  # a bool is not a number
        ("flag", "eq", True, True),
        ("nothing", "eq", None, True),
        ("missing", "eq", None, True),
        ("score", "ne", 641, True),
        ("score", "ne", 640, False),
        ("missing", "ne", 5, True),
        ("score", "lt", 641, True),
        ("score", "lt", 640, False),
        ("score", "lte", 640, True),
        ("score", "lte", 639, False),
        ("score", "gt", 639, True),
        ("score", "gt", 640, False),
        ("score", "gte", 640, True),
        ("score", "gte", 640.5, False),
        ("tier", "gt", "bronze", True),  # texts order alphabetically
        ("tier", "lt", 5, False),  # a text and a number cannot be ordered
        ("missing", "gte", 0, False),
        ("tier", "in", ["gold", "silver"], True),
        ("tier", "in", ["bronze"], False),
        ("score", "in", [1, 640], True),
        ("missing", "in", [None], True),
        ("tier", "not_in", ["bronze"], True),
        ("tier", "not_in", ["gold", "silver"], False),
        ("missing", "not_in", ["gold"], True),
        ("tags", "contains", "vip", True),
        ("tags", "contains", "old", False),
        ("tier", "contains", "ol", True),
        ("tier", "contains", "x", False),
        ("score", "contains", 6, False),
        ("score", "between", [600, 700], True),
        ("score", "between", [640, 640], True),  # both ends included
        ("score", "between", [641, 700], False),
        ("amount", "between", [250_000, 250_001], True),
        ("missing", "between", [0, 1], False),
        ("note", "is_empty", True, True),
        ("empty_list", "is_empty", True, True),
        ("missing", "is_empty", True, True),
        ("nothing", "is_empty", None, True),  # no value means "is empty"
        ("tier", "is_empty", True, False),
        ("tier", "is_empty", False, True),
        ("note", "is_empty", False, False),
        ("applicant.age", "gte", 18, True),
        ("applicant.country", "eq", "PT", True),
        ("applicant.missing.deeper", "is_empty", True, True),
        ("tier.sub", "eq", None, True),  # a path through a text is null
    ],
)
def test_operator_known_answers(field: str, operator: str, value: Any, expected: bool) -> None:
    assert holds(field, operator, value) is expected


def test_all_and_any_and_nested_groups() -> None:
    rule = compile_rule(
        {
            "kind": "condition",
            "combine": "any",
            "conditions": [
                {"field": "score", "operator": "gte", "value": 700},
                {
                    "combine": "all",
                    "conditions": [
                        {"field": "tier", "operator": "eq", "value": "gold"},
                        {"expression": "amount < 300000"},
                    ],
                },
            ],
        }
    )
    evaluation = rule.evaluate(DATA)
    assert evaluation.result is True
    assert evaluation.matched == (1,)
    assert rule.evaluate({**DATA, "tier": "silver"}).result is False
    assert rule.inputs == {"score", "tier", "amount"}
    all_rule = compile_rule(
        {
            "kind": "condition",
            "combine": "all",
            "conditions": [
                {"field": "score", "operator": "gte", "value": 600},
                {"field": "tier", "operator": "eq", "value": "gold"},
            ],
        }
    )
    assert all_rule.evaluate(DATA).result is True
    assert all_rule.evaluate(DATA).matched == (0, 1)
    assert all_rule.evaluate({**DATA, "tier": "x"}).result is False


def test_expression_rule_is_sandboxed() -> None:
    rule = compile_rule({"kind": "condition", "expression": "score >= 620 and tier in ['gold']"})
    assert rule.evaluate(DATA).result is True
    assert rule.inputs == {"score", "tier"}
    with pytest.raises(RuleDefinitionError) as error:
        compile_rule({"kind": "condition", "expression": "__import__('os').system('true')"})
    assert error.value.problems[0].path == "expression"
    with pytest.raises(RuleError, match="unknown variable 'score'"):
        rule.evaluate({})


@pytest.mark.parametrize(
    ("condition", "path"),
    [
        ({"field": "score", "operator": "like", "value": 1}, "conditions[0].operator"),
        ({"field": "1score", "operator": "eq", "value": 1}, "conditions[0].field"),
        ({"field": "score", "operator": "in", "value": 1}, "conditions[0].value"),
        ({"field": "score", "operator": "between", "value": [3]}, "conditions[0].value"),
        ({"field": "score", "operator": "between", "value": [5, 1]}, "conditions[0].value"),
        ({"field": "score", "operator": "gt", "value": [1]}, "conditions[0].value"),
        ({"field": "score", "operator": "is_empty", "value": "yes"}, "conditions[0].value"),
        ({"expression": "score >"}, "conditions[0].expression"),
        ("score > 1", "conditions[0]"),
    ],
)
def test_bad_conditions_name_the_field(condition: Any, path: str) -> None:
    with pytest.raises(RuleDefinitionError) as error:
        compile_rule({"kind": "condition", "conditions": [condition]})
    assert error.value.problems[0].path == path


def test_empty_and_unknown_kind() -> None:
    with pytest.raises(RuleDefinitionError) as error:
        compile_rule({"kind": "condition", "conditions": []})
    assert error.value.problems[0].path == "conditions"
    with pytest.raises(RuleDefinitionError) as error:
        compile_rule({"kind": "spreadsheet"})
    assert error.value.problems[0].path == "kind"
    with pytest.raises(RuleDefinitionError):
        compile_rule(["not", "an", "object"])
