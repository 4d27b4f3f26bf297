"""Decision tables: every cell-test form against known answers, every hit policy, the index
against row-by-row testing, static and run-time hit-policy violations, bad definitions."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules.core import (
    DecisionTable,
    HitPolicyViolation,
    RuleDefinitionError,
    RuleError,
    case_outputs,
    compile_rule,
    definition_problems,
    example_variables,
    hit_policy_overlaps,
)
from rules.core.cells import parse_cell
from rules.core.errors import CellSyntaxError


def table(
    cells: list[list[str]],
    *,
    hit_policy: str = "first",
    inputs: list[dict[str, Any]] | None = None,
    outputs: list[dict[str, Any]] | None = None,
    results: list[list[Any]] | None = None,
    aggregation: str | None = None,
) -> DecisionTable:
    inputs = inputs or [{"expression": "x"}]
    outputs = outputs or [{"name": "row"}]
    rows = [
        {"inputs": row, "outputs": results[index] if results else [str(index)]}
        for index, row in enumerate(cells)
    ]
    compiled = compile_rule(
        {
            "kind": "decision_table",
            "hit_policy": hit_policy,
            "aggregation": aggregation,
            "inputs": inputs,
            "outputs": outputs,
            "rules": rows,
        }
    )
    assert isinstance(compiled, DecisionTable)
    return compiled


def cell_matches(cell: str, value: Any, variables: dict[str, Any] | None = None) -> bool:
    """Whether ``cell`` matches, by the index and by the reference; they must agree."""
    data = {"x": value, **(variables or {})}
    compiled = table([[cell]])
    by_index = bool(compiled.match(data))
    assert by_index == bool(compiled.evaluate_naive(data)), (cell, value)
    assert by_index == parse_cell(cell).matches(value, data), (cell, value)
    return by_index


@pytest.mark.parametrize(
    ("cell", "value", "expected"),
    [
        ("-", 5, True),
        ("-", None, True),
        ("", "anything", True),
        (">= 620", 620, True),
        (">= 620", 619.99, False),
        ("> 620", 620, False),
        ("> 620", 621, True),
        ("< 10", 9, True),
        ("< 10", 10, False),
        ("<= 10", 10, True),
        ("= 5", 5, True),
        ("= 5", 5.0, True),
        ("!= 5", 6, True),
        ("!= 5", 5, False),
        ("5", 5, True),
        ("5", "5", False),
        ("-5", -5, True),
        ("< -1.5", -2, True),
        ("[1..10]", 1, True),
        ("[1..10]", 10, True),
        ("[1..10]", 10.5, False),
        ("[1..10)", 10, False),
        ("[1..10)", 9.999, True),
        ("(1..10]", 1, False),
        ("]1..10[", 1, False),
        ("]1..10[", 5, True),
        ("]1..10[", 10, False),
        ("[500000..]", 500000, True),
        ("[500000..]", 10**9, True),
        ("[500000..]", 499999, False),
        ("[..100]", -(10**9), True),
        ("[..100)", 100, False),
        ('"gold","silver"', "gold", True),
        ('"gold","silver"', "silver", True),
        ('"gold","silver"', "bronze", False),
        ('"gold","silver"', None, False),
        ('not("x")', "y", True),
        ('not("x")', "x", False),
        ('not("x")', None, True),
        ('not("gold", "silver")', "bronze", True),
        ('not("gold", "silver")', "gold", False),
        ("not(< 5, > 10)", 7, True),
        ("not(< 5, > 10)", 3, False),
        ("not([1..3])", "text", True),
        ("true", True, True),
        ("true", 1, False),
        ("false", False, True),
        ("null", None, True),
        ("null", 0, False),
        ("< 5, > 10", 11, True),
        ("< 5, > 10", 7, False),
        ("1, 2, [5..7]", 6, True),
        ('"a", 3', 3, True),
        ('"a\\"b"', 'a"b', True),
        ('< "m"', "apple", True),  # texts order alphabetically
        ('< "m"', "zebra", False),
        ('["2024-01-01".."2024-12-31"]', "2024-06-30", True),  # ISO dates as texts
        ('["2024-01-01".."2024-12-31"]', "2025-01-01", False),
        ("< 5", "4", False),  # a text and a number never compare
        ("< 5", True, False),
        ("< 5", None, False),
        ("< 5", float("nan"), False),
    ],
)
def test_cell_known_answers(cell: str, value: Any, expected: bool) -> None:
    assert cell_matches(cell, value) is expected


def test_cells_may_name_case_variables() -> None:
    assert cell_matches("< limit", 5, {"limit": 10}) is True
    assert cell_matches("< limit", 15, {"limit": 10}) is False
    assert cell_matches("[low..applicant.high]", 7, {"low": 1, "applicant": {"high": 7}}) is True
    assert cell_matches("tier_wanted", "gold", {"tier_wanted": "gold"}) is True
    assert cell_matches("not(banned)", "x", {"banned": "y"}) is True
    assert table([["< limit"]]).inputs == {"x", "limit"}


@pytest.mark.parametrize(
    ("cell", "offset", "message"),
    [
        (">= 62 0", 6, "separate tests with ','"),
        ("[1..10", 6, "close the interval"),
        ("[10..1]", 0, "the interval is empty"),
        ("[..]", 0, "at least one end"),
        ('"gold', 0, "unexpected character"),
        ("x > 5", 2, "separate tests"),
        ('"a" or "b"', 4, "'or' is not allowed"),
        ("not(1", 5, "')'"),
        ("< true", 0, "needs a number or a text"),
        ("< ", 2, "expected a value"),
        ('[1.."b"]', 0, "same kind"),
        ("#", 0, "unexpected character"),
    ],
)
def test_cell_syntax_errors_say_where(cell: str, offset: int, message: str) -> None:
    with pytest.raises(CellSyntaxError) as error:
        parse_cell(cell)
    assert error.value.offset == offset
    assert message in error.value.message


def test_inline_problems_name_every_bad_cell() -> None:
    with pytest.raises(RuleDefinitionError) as error:
        table([[">= 62 0"], ["[1..10"], ["5"]], results=[["1"], ['"unterminated'], ["3"]])
    paths = [problem.path for problem in error.value.problems]
    assert paths == ["rules[0].inputs[0]", "rules[1].inputs[0]", "rules[1].outputs[0]"]
    assert error.value.problems[0].offset == 6


def test_cells_are_checked_against_the_column_type() -> None:
    with pytest.raises(RuleDefinitionError) as error:
        table([['"gold"']], inputs=[{"expression": "score", "type": "number"}])
    assert "holds numbers" in error.value.problems[0].message
    with pytest.raises(RuleDefinitionError) as error:
        table([["5"]], outputs=[{"name": "ok", "type": "boolean"}], results=[["5"]])
    assert error.value.problems[0].path == "rules[0].outputs[0]"


LOAN = {
    "kind": "decision_table",
    "hit_policy": "unique",
    "inputs": [
        {"label": "Credit score", "expression": "credit_score", "type": "number"},
        {"label": "Amount", "expression": "amount", "type": "number"},
    ],
    "outputs": [
        {"name": "decision", "type": "string"},
        {"name": "approver", "type": "string"},
    ],
    "rules": [
        {"inputs": ["< 620", "-"], "outputs": ['"decline"', "null"]},
        {"inputs": [">= 620", "< 500000"], "outputs": ['"approve"', '"officer"']},
        {"inputs": [">= 620", "[500000..]"], "outputs": ['"approve"', '"senior"']},
    ],
}


@pytest.mark.parametrize(
    ("score", "amount", "expected", "row"),
    [
        (500, 10, {"decision": "decline", "approver": None}, 0),
        (620, 499_999, {"decision": "approve", "approver": "officer"}, 1),
        (700, 500_000, {"decision": "approve", "approver": "senior"}, 2),
    ],
)
def test_unique_table_known_answers(
    score: int, amount: int, expected: dict[str, Any], row: int
) -> None:
    evaluation = compile_rule(LOAN).evaluate({"credit_score": score, "amount": amount})
    assert evaluation.result == expected
    assert evaluation.matched == (row,)
    assert evaluation.selected == (row,)


def test_no_match_gives_defaults_or_none() -> None:
    plain = table([["1"]])
    assert plain.evaluate({"x": 2}).result is None
    with_default = table([["1"]], outputs=[{"name": "row", "default": "none"}], results=[['"one"']])
    assert with_default.evaluate({"x": 2}).result == {"row": "none"}


def test_first_priority_any_and_multi_hit_policies() -> None:
    cells = [[">= 0"], ["> 5"], ["-"]]
    assert table(cells).evaluate({"x": 7}).result == {"row": 0}
    assert table(cells).evaluate({"x": 7}).matched == (0, 1, 2)
    prioritized = table(
        cells,
        hit_policy="priority",
        outputs=[{"name": "level", "allowed": ["high", "medium", "low"]}],
        results=[['"low"'], ['"high"'], ['"medium"']],
    )
    assert prioritized.evaluate({"x": 7}).result == {"level": "high"}
    assert prioritized.evaluate({"x": 7}).selected == (1,)
    assert prioritized.evaluate({"x": 1}).result == {"level": "medium"}
    ordered = table(
        cells,
        hit_policy="output_order",
        outputs=[{"name": "level", "allowed": ["high", "medium", "low"]}],
        results=[['"low"'], ['"high"'], ['"medium"']],
    )
    assert ordered.evaluate({"x": 7}).result == [
        {"level": "high"},
        {"level": "medium"},
        {"level": "low"},
    ]
    assert table(cells, hit_policy="rule_order").evaluate({"x": 7}).result == [
        {"row": 0},
        {"row": 1},
        {"row": 2},
    ]
    same = table([[">= 0"], ["-"]], hit_policy="any", results=[['"ok"'], ['"ok"']])
    assert same.evaluate({"x": 1}).result == {"row": "ok"}
    different = table([[">= 0"], ["-"]], hit_policy="any", results=[['"ok"'], ['"no"']])
    with pytest.raises(HitPolicyViolation) as error:
        different.evaluate({"x": 1})
    assert error.value.rows == (0, 1)


@pytest.mark.parametrize(
    ("aggregation", "expected"),
    [
        (None, [{"row": 10}, {"row": 20}, {"row": 5}]),
        ("sum", 35),
        ("min", 5),
        ("max", 20),
        ("count", 3),
    ],
)
def test_collect_and_aggregations(aggregation: str | None, expected: Any) -> None:
    collected = table(
        [[">= 0"], ["> 5"], ["-"], ["< 0"]],
        hit_policy="collect",
        aggregation=aggregation,
        results=[["10"], ["20"], ["5"], ["1000"]],
    )
    assert collected.evaluate({"x": 7}).result == expected
    assert collected.evaluate({"x": 7}).selected == (0, 1, 2)


def test_collect_of_nothing() -> None:
    counted = table([["1"]], hit_policy="collect", aggregation="count")
    assert counted.evaluate({"x": 2}).result == 0
    summed = table([["1"]], hit_policy="collect", aggregation="sum")
    assert summed.evaluate({"x": 2}).result is None
    assert table([["1"]], hit_policy="collect").evaluate({"x": 2}).result == []


def test_unique_violation_at_run_time_names_the_rows() -> None:
    overlapping = table([["< limit"], ["< 100"]], hit_policy="unique")
    # The first cell reads a case variable, so the overlap cannot be found by checking rows.
    assert hit_policy_overlaps(overlapping) == []
    assert overlapping.evaluate({"x": 50, "limit": 10}).result == {"row": 1}
    with pytest.raises(HitPolicyViolation, match="rows 1, 2 all match") as error:
        overlapping.evaluate({"x": 5, "limit": 10})
    assert error.value.rows == (0, 1)


@pytest.mark.parametrize(
    ("cells", "overlapping", "example"),
    [
        ([["< 620"], [">= 620"]], None, None),
        ([["< 620"], ["[600..700]"]], (0, 1), {"x": 600}),
        ([["[1..10)"], ["[10..20]"]], None, None),
        ([["[1..10]"], ["[10..20]"]], (0, 1), {"x": 10}),
        ([['"gold","silver"'], ['"bronze"']], None, None),
        ([['"gold","silver"'], ['"silver"']], (0, 1), {"x": "silver"}),
        ([['not("gold")'], ['"gold"']], None, None),
        ([['not("gold")'], ['"silver"']], (0, 1), {"x": "silver"}),
        ([['not("gold")'], ['not("silver")']], (0, 1), {"x": None}),
        ([["-"], ["5"]], (0, 1), {"x": 5}),
        ([["true"], ["false"]], None, None),
        ([["null"], ["-"]], (0, 1), {"x": None}),
    ],
)
def test_static_overlaps_of_unique_tables(
    cells: list[list[str]], overlapping: tuple[int, int] | None, example: dict[str, Any] | None
) -> None:
    compiled = table(cells, hit_policy="unique", inputs=[{"expression": "x", "type": "any"}])
    found = hit_policy_overlaps(compiled)
    if overlapping is None:
        assert found == []
        return
    assert [overlap.rows for overlap in found] == [overlapping]
    if example is not None and example["x"] is not None:
        assert found[0].example == example
    # The example really is an input both rows match: the run-time check agrees.
    with pytest.raises(HitPolicyViolation):
        compiled.evaluate(example_variables(found[0].example))


def test_static_overlap_needs_every_column_to_overlap() -> None:
    compiled = compile_rule(LOAN)
    assert hit_policy_overlaps(compiled) == []
    broken = {
        **LOAN,
        "rules": [
            *LOAN["rules"],
            {"inputs": ["[600..650]", "[400000..]"], "outputs": ['"refer"', "null"]},
        ],
    }
    problems = definition_problems(broken)
    assert [problem.path for problem in problems] == ["rules[3]", "rules[3]", "rules[3]"]
    assert "rows 1 and 4 may match the same input" in problems[0].message
    assert "credit_score = 600, amount = 400000" in problems[0].message
    assert "rows 2 and 4 may match" in problems[1].message
    assert "credit_score = 620" in problems[1].message
    first = {**broken, "hit_policy": "first"}
    assert definition_problems(first) == []


def test_priority_needs_allowed_values_and_aggregation_needs_collect() -> None:
    with pytest.raises(RuleDefinitionError) as error:
        table([["1"]], hit_policy="priority")
    assert error.value.problems[0].path == "outputs[0].allowed"
    with pytest.raises(RuleDefinitionError) as error:
        table([["1"]], hit_policy="first", aggregation="sum")
    assert error.value.problems[0].path == "aggregation"
    with pytest.raises(RuleDefinitionError) as error:
        table([["1"]], hit_policy="sometimes")
    assert error.value.problems[0].path == "hit_policy"


def test_input_expressions_and_computed_outputs() -> None:
    computed = table(
        [["> 1000"], ["-"]],
        inputs=[{"expression": "amount / 12", "type": "number"}],
        outputs=[{"name": "fee"}],
        results=[["amount * 0.01"], ["0"]],
    )
    assert computed.evaluate({"amount": 24_000}).result == {"fee": 240.0}
    assert computed.evaluate({"amount": 1_200}).result == {"fee": 0}
    assert computed.inputs == {"amount"}
    with pytest.raises(RuleError, match="unknown variable"):
        computed.evaluate({})


def test_missing_inputs_are_null() -> None:
    compiled = compile_rule(LOAN)
    assert compiled.evaluate({"amount": 5}).result is None
    nested = table([["5"], ["-"]], inputs=[{"expression": "applicant.age"}])
    assert nested.evaluate({"applicant": {"age": 5}}).selected == (0,)
    assert nested.evaluate({"applicant": "text"}).selected == (1,)


def test_case_outputs_shape() -> None:
    loan = compile_rule(LOAN)
    found = loan.evaluate({"credit_score": 700, "amount": 1})
    assert case_outputs(loan, found, None, "loan") == {"decision": "approve", "approver": "officer"}
    assert case_outputs(loan, found, "verdict", "loan") == {
        "verdict": {"decision": "approve", "approver": "officer"}
    }
    nothing = loan.evaluate({})
    assert case_outputs(loan, nothing, None, "loan") == {"decision": None, "approver": None}
    summed = table([["-"]], hit_policy="collect", aggregation="sum", results=[["3"]])
    assert case_outputs(summed, summed.evaluate({"x": 1}), None, "fees") == {"row": 3}
    condition = compile_rule({"kind": "condition", "expression": "x > 1"})
    assert case_outputs(condition, condition.evaluate({"x": 2}), None, "big-x") == {"big_x": True}


SCALARS = st.one_of(
    st.integers(-5, 25),
    st.sampled_from([0.5, 9.5, 10.0, "a", "b", "gold", True, False, None]),
)
CELLS = st.sampled_from(
    [
        "-",
        "< 5",
        "<= 5",
        "> 10",
        ">= 10",
        "5",
        "[1..10]",
        "[1..10)",
        "(5..20]",
        "]0..3[",
        "[10..]",
        "[..2]",
        '"a","b"',
        '"gold"',
        'not("a")',
        "not(< 5, > 10)",
        "not([1..10])",
        "true",
        "false",
        "null",
        '< "c"',
        "1, 3, [15..20]",
        "!= 10",
        "< limit",
    ]
)


@settings(max_examples=150, deadline=None)
@given(
    rows=st.lists(st.lists(CELLS, min_size=2, max_size=2), min_size=1, max_size=12),
    values=st.lists(st.tuples(SCALARS, SCALARS), min_size=1, max_size=5),
)
def test_index_equals_row_by_row(rows: list[list[str]], values: list[tuple[Any, Any]]) -> None:
    compiled = table(rows, inputs=[{"expression": "x"}, {"expression": "y"}])
    for x, y in values:
        data = {"x": x, "y": y, "limit": 7}
        assert compiled.match(data) == compiled.evaluate_naive(data), (rows, data)


@settings(max_examples=100, deadline=None)
@given(rows=st.lists(st.lists(CELLS, min_size=2, max_size=2), min_size=2, max_size=8))
def test_every_static_overlap_is_real(rows: list[list[str]]) -> None:
    compiled = table(rows, hit_policy="unique", inputs=[{"expression": "x"}, {"expression": "y"}])
    for overlap in hit_policy_overlaps(compiled):
        data = {**example_variables(overlap.example), "limit": 7}
        data.setdefault("x", None)
        data.setdefault("y", None)
        mask = compiled.match(data)
        first, second = overlap.rows
        assert mask >> first & 1, (rows, overlap)
        assert mask >> second & 1, (rows, overlap)
