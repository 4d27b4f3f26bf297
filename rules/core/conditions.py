"""Condition rules: conditions on case fields combined with all/any, or a sandboxed expression.

A definition is ``{"kind": "condition", "combine": "all"|"any", "conditions": [...]}`` where each
condition is ``{"field": "applicant.score", "operator": "gte", "value": 620}``, a nested group
``{"combine": "any", "conditions": [...]}`` or ``{"expression": "amount > 1000"}``; or
``{"kind": "condition", "expression": "credit_score >= 620"}``. A missing field is null: only
``eq``, ``ne``, ``in``, ``not_in`` and ``is_empty`` treat null as a value, the ordering
operators, ``between`` and ``contains`` are false for it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, Final

from processes.engine.expressions import ExpressionError, compile_expression, is_truthy
from rules.core.base import Evaluation
from rules.core.cells import equal, is_number, ordered, read_path
from rules.core.errors import Problem, RuleDefinitionError, RuleError

OPERATORS: Final = (
    "eq",
    "ne",
    "lt",
    "lte",
    "gt",
    "gte",
    "in",
    "not_in",
    "contains",
    "between",
    "is_empty",
)
_FIELD: Final = re.compile(r"[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")
MAX_CONDITIONS: Final = 500
MAX_DEPTH: Final = 10

Test = Callable[[Mapping[str, Any]], bool]


def _compare(operator: str, left: Any, right: Any) -> bool:
    if not ordered(left, right):
        return False
    if operator == "lt":
        return bool(left < right)
    if operator == "lte":
        return bool(left <= right)
    if operator == "gt":
        return bool(left > right)
    return bool(left >= right)


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str | list | dict | tuple) and len(value) == 0)


def condition_holds(operator: str, value: Any, expected: Any) -> bool:
    """Whether ``value`` (the field's) passes ``operator`` against ``expected`` (the rule's)."""
    if operator == "eq":
        return equal(value, expected)
    if operator == "ne":
        return not equal(value, expected)
    if operator in ("lt", "lte", "gt", "gte"):
        return _compare(operator, value, expected)
    if operator == "in":
        return any(equal(value, item) for item in expected)
    if operator == "not_in":
        return not any(equal(value, item) for item in expected)
    if operator == "contains":
        if isinstance(value, str) and isinstance(expected, str):
            return expected in value
        if isinstance(value, list | tuple):
            return any(equal(item, expected) for item in value)
        return False
    if operator == "between":
        low, high = expected
        return _compare("gte", value, low) and _compare("lte", value, high)
    if operator == "is_empty":
        return _is_empty(value) == bool(expected)
    raise ValueError(f"unknown operator {operator!r}")


def _check_value(operator: str, value: Any, path: str, problems: list[Problem]) -> Any:
    """The condition's value, checked against what its operator needs."""
    if operator in ("in", "not_in"):
        if not isinstance(value, list):
            problems.append(Problem(path, f"{operator} needs a list of values"))
            return []
        return value
    if operator == "between":
        if not (isinstance(value, list) and len(value) == 2):
            problems.append(Problem(path, "between needs two values: [lowest, highest]"))
            return [0, 0]
        low, high = value
        if not ordered(low, high):
            problems.append(
                Problem(path, "between needs two numbers or two texts of the same kind")
            )
        elif low > high:
            problems.append(Problem(path, f"between: {low!r} is greater than {high!r}"))
        return value
    if operator in ("lt", "lte", "gt", "gte"):
        if not (is_number(value) or isinstance(value, str)):
            problems.append(Problem(path, f"{operator} needs a number or a text to compare with"))
        return value
    if operator == "is_empty":
        if value is None:
            return True
        if not isinstance(value, bool):
            problems.append(Problem(path, "is_empty takes true (is empty) or false (is not)"))
            return True
        return value
    if operator == "contains" and value is None:
        problems.append(Problem(path, "contains needs a value to look for"))
    if isinstance(value, dict | list) and operator in ("eq", "ne", "contains"):
        problems.append(Problem(path, f"{operator} compares with one value, not a list or object"))
    return value


class _Builder:
    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.names: set[str] = set()
        self.count = 0

    def expression(self, source: Any, path: str) -> Test:
        if not isinstance(source, str) or not source.strip():
            self.problems.append(Problem(path, "the expression is empty"))
            return lambda variables: False
        try:
            compiled = compile_expression(source)
        except ExpressionError as error:
            self.problems.append(Problem(path, error.message, error.offset))
            return lambda variables: False
        self.names |= compiled.names

        def holds(variables: Mapping[str, Any]) -> bool:
            try:
                return is_truthy(compiled.evaluate(variables))
            except ExpressionError as error:
                raise RuleError(str(error)) from None

        return holds

    def group(self, item: Mapping[str, Any], path: str, depth: int) -> tuple[Test, ...]:
        combine = item.get("combine", "all")
        if combine not in ("all", "any"):
            self.problems.append(Problem(f"{path}combine", "combine must be 'all' or 'any'"))
        conditions = item.get("conditions")
        if not isinstance(conditions, list) or not conditions:
            self.problems.append(
                Problem(f"{path}conditions", "give at least one condition (a list)")
            )
            return ()
        if depth > MAX_DEPTH:
            self.problems.append(Problem(path or "conditions", "conditions nest too deeply"))
            return ()
        return tuple(
            self.condition(condition, f"{path}conditions[{index}]", depth)
            for index, condition in enumerate(conditions)
        )

    def condition(self, item: Any, path: str, depth: int) -> Test:
        self.count += 1
        if self.count > MAX_CONDITIONS:
            if self.count == MAX_CONDITIONS + 1:
                self.problems.append(
                    Problem(path, f"a rule has at most {MAX_CONDITIONS} conditions")
                )
            return lambda variables: False
        if not isinstance(item, Mapping):
            self.problems.append(Problem(path, "a condition is an object"))
            return lambda variables: False
        if "expression" in item:
            return self.expression(item["expression"], f"{path}.expression")
        if "conditions" in item:
            tests = self.group(item, f"{path}.", depth + 1)
            if item.get("combine", "all") == "any":
                return lambda variables: any(test(variables) for test in tests)
            return lambda variables: all(test(variables) for test in tests)
        field = item.get("field")
        if not isinstance(field, str) or not _FIELD.fullmatch(field):
            self.problems.append(
                Problem(f"{path}.field", "the field is a case variable name, e.g. applicant.age")
            )
            return lambda variables: False
        operator = item.get("operator")
        if operator not in OPERATORS:
            self.problems.append(
                Problem(f"{path}.operator", f"the operator is one of {', '.join(OPERATORS)}")
            )
            return lambda variables: False
        value = _check_value(operator, item.get("value"), f"{path}.value", self.problems)
        parts = tuple(field.split("."))
        self.names.add(parts[0])
        if len(parts) == 1:
            name = parts[0]
            return lambda variables: condition_holds(operator, variables.get(name), value)
        return lambda variables: condition_holds(operator, read_path(variables, parts), value)


class ConditionRule:
    """A compiled condition rule."""

    kind = "condition"
    outputs: tuple[str, ...] = ()

    def __init__(self, definition: Mapping[str, Any]) -> None:
        builder = _Builder()
        self.combine = "all"
        if "expression" in definition and "conditions" not in definition:
            self.tests: tuple[Test, ...] = (
                builder.expression(definition["expression"], "expression"),
            )
        else:
            self.combine = definition.get("combine", "all")
            self.tests = builder.group(definition, "", 0)
        if builder.problems:
            raise RuleDefinitionError(builder.problems)
        self.inputs = frozenset(builder.names)

    def evaluate(self, variables: Mapping[str, Any]) -> Evaluation:
        mask = 0
        for position, test in enumerate(self.tests):
            try:
                held = test(variables)
            except RuleError:
                raise
            except (TypeError, ValueError) as error:
                raise RuleError(f"condition {position + 1}: {error}") from None
            if held:
                mask |= 1 << position
            elif self.combine == "all":
                # All must hold: the first that does not decides, as ``and`` would.
                return Evaluation(False, mask, ())
            if held and self.combine == "any":
                return Evaluation(True, mask, (position,))
        if self.combine == "any":
            return Evaluation(False, mask, ())
        return Evaluation(True, mask, tuple(range(len(self.tests))))
