"""Decision tables (the DMN decision-table subset): compiled once per version, evaluated by index.

A definition::

    {"kind": "decision_table", "hit_policy": "first", "aggregation": null,
     "inputs": [{"label": "Credit score", "expression": "credit_score", "type": "number"}],
     "outputs": [{"name": "decision", "label": "Decision", "type": "string",
                  "allowed": ["approve", "refer"], "default": "refer"}],
     "rules": [{"inputs": [">= 620"], "outputs": ["\\"approve\\""], "description": ""}]}

Input expressions are sandboxed expressions over the case data (a plain name or dotted path is
read directly; a missing one is null). Input cells are unary tests (``cells``); output cells are
literals (``"approve"``, ``500``, ``true``) or sandboxed expressions (``amount * 0.01``).

Hit policies: ``unique`` (at most one row may match), ``first`` (the first matching row in
order), ``priority`` (the matching row whose outputs come first in the outputs' ``allowed``
lists), ``any`` (several rows may match if their outputs are equal), ``collect`` (every matching
row, in order, or their ``sum``/``min``/``max``/``count`` with an aggregation), ``rule_order``
(every matching row in order) and ``output_order`` (every matching row by priority).

Evaluation does not test row after row: each input column is indexed once (a bit set of rows per
text value, per boolean and per elementary interval between the column's numeric bounds), so a
value's matching rows are a dictionary look-up or a binary search, and the rows matching every
input are the AND of one bit set per column.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from itertools import count
from typing import Any, Final

from processes.engine.expressions import Expression, ExpressionError, compile_expression
from rules.core.base import Evaluation, bits
from rules.core.cells import (
    Atom,
    UnaryTests,
    equal,
    is_number,
    literal_text,
    parse_cell,
    parse_literal,
    read_path,
)
from rules.core.errors import (
    CellSyntaxError,
    HitPolicyViolation,
    Problem,
    RuleDefinitionError,
    RuleError,
)

HIT_POLICIES: Final = (
    "unique",
    "first",
    "priority",
    "any",
    "collect",
    "rule_order",
    "output_order",
)
SINGLE_HIT: Final = frozenset({"unique", "first", "priority", "any"})
AGGREGATIONS: Final = ("sum", "min", "max", "count")
TYPES: Final = ("any", "string", "number", "boolean")
MAX_ROWS: Final = 10_000
MAX_COLUMNS: Final = 100
_PATH: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")
_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_RESERVED: Final = frozenset(
    {"true", "false", "null", "not", "and", "or", "in", "is", "if", "else"}
)

_TYPE_WORDS: Final = {"string": "texts", "number": "numbers", "boolean": "true or false"}


def _kind_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if is_number(value):
        return "number"
    if isinstance(value, str):
        return "string"
    return type(value).__name__


def _fits(value: Any, column_type: str) -> bool:
    return column_type == "any" or value is None or _kind_of(value) == column_type


# -- The per-column index --------------------------------------------------------------------------


class _AtomIndex:
    """Which rows' tests a value meets, for a set of (row bit, tests) entries."""

    __slots__ = ("bounds", "count", "fallback", "falses", "nulls", "segments", "strings", "trues")

    def __init__(self, entries: list[tuple[int, tuple[Atom, ...]]]) -> None:
        self.strings: dict[str, int] = {}
        self.trues = self.falses = self.nulls = 0
        self.fallback: list[tuple[int, Atom]] = []
        numeric: list[tuple[int, Any, bool, Any, bool]] = []
        for bit, atoms in entries:
            for atom in atoms:
                if not atom.is_literal:
                    self.fallback.append((bit, atom))
                elif atom.kind == "eq" and atom.low is not None:
                    value = atom.low.value
                    if is_number(value):
                        numeric.append((bit, value, True, value, True))
                    elif isinstance(value, str):
                        self.strings[value] = self.strings.get(value, 0) | bit
                    elif value is True:
                        self.trues |= bit
                    elif value is False:
                        self.falses |= bit
                    elif value is None:
                        self.nulls |= bit
                    else:
                        self.fallback.append((bit, atom))
                else:
                    low = atom.low.value if atom.low is not None else None
                    high = atom.high.value if atom.high is not None else None
                    if (low is None or is_number(low)) and (high is None or is_number(high)):
                        numeric.append((bit, low, atom.low_closed, high, atom.high_closed))
                    else:
                        self.fallback.append((bit, atom))
        self.bounds: list[Any] = sorted(
            {end for _, low, _, high, _ in numeric for end in (low, high) if end is not None}
        )
        self.count = len(self.bounds)
        self.segments = self._sweep(numeric)

    def segment_range(
        self, low: Any, low_closed: bool, high: Any, high_closed: bool
    ) -> tuple[int, int]:
        """The first and last elementary segment an interval covers (first > last: empty).

        Segments alternate between open gaps and bounds: 0 is below the first bound, 1 the first
        bound itself, 2 the gap after it, ..., 2n the gap above the last bound.
        """
        position = {value: index for index, value in enumerate(self.bounds)}
        first = 0 if low is None else 2 * position[low] + (1 if low_closed else 2)
        last = 2 * self.count if high is None else 2 * position[high] + (1 if high_closed else 0)
        return first, last

    def _sweep(self, numeric: list[tuple[int, Any, bool, Any, bool]]) -> list[int]:
        size = 2 * self.count + 1
        starts: dict[int, list[int]] = {}
        ends: dict[int, list[int]] = {}
        position = {value: index for index, value in enumerate(self.bounds)}
        for bit, low, low_closed, high, high_closed in numeric:
            first = 0 if low is None else 2 * position[low] + (1 if low_closed else 2)
            last = size - 1 if high is None else 2 * position[high] + (1 if high_closed else 0)
            if first > last:
                continue
            starts.setdefault(first, []).append(bit)
            ends.setdefault(last + 1, []).append(bit)
        depth: dict[int, int] = {}
        current = 0
        segments = []
        for segment in range(size):
            for bit in ends.get(segment, ()):
                depth[bit] -= 1
                if depth[bit] == 0:
                    current &= ~bit
            for bit in starts.get(segment, ()):
                depth[bit] = depth.get(bit, 0) + 1
                current |= bit
            segments.append(current)
        return segments

    def segment_of(self, value: Any) -> int:
        index = bisect_left(self.bounds, value)
        if index < self.count and self.bounds[index] == value:
            return 2 * index + 1
        return 2 * index

    def match(self, value: Any, variables: Mapping[str, Any]) -> int:
        kind = type(value)
        if kind is str:
            mask = self.strings.get(value, 0)
        elif kind is int or kind is float or kind is Decimal:
            # NaN meets no test.
            mask = self.segments[self.segment_of(value)] if value == value else 0
        elif value is None:
            mask = self.nulls
        elif value is True:
            mask = self.trues
        elif value is False:
            mask = self.falses
        else:
            mask = 0
        for bit, atom in self.fallback:
            if not mask & bit and atom.matches(value, variables):
                mask |= bit
        return mask


class _Column:
    """One input column: how to read its value, and the index of its cells."""

    __slots__ = ("any_rows", "expression", "name", "negated", "negated_rows", "path", "positive")

    def __init__(self, source: str, cells: list[UnaryTests]) -> None:
        text = source.strip()
        self.name: str | None = None
        self.path: tuple[str, ...] | None = None
        self.expression: Expression | None = None
        if _PATH.fullmatch(text) and text.split(".")[0] not in _RESERVED:
            parts = tuple(text.split("."))
            if len(parts) == 1:
                self.name = parts[0]
            else:
                self.path = parts
        else:
            self.expression = compile_expression(text)
        self.any_rows = 0
        self.negated_rows = 0
        positive: list[tuple[int, tuple[Atom, ...]]] = []
        negated: list[tuple[int, tuple[Atom, ...]]] = []
        for row, cell in enumerate(cells):
            bit = 1 << row
            if cell.any:
                self.any_rows |= bit
            elif cell.negated:
                self.negated_rows |= bit
                negated.append((bit, cell.atoms))
            else:
                positive.append((bit, cell.atoms))
        self.positive = _AtomIndex(positive)
        self.negated = _AtomIndex(negated)

    def value(self, variables: Mapping[str, Any]) -> Any:
        if self.name is not None:
            return variables.get(self.name)
        if self.path is not None:
            return read_path(variables, self.path)
        if self.expression is None:
            return None
        try:
            return self.expression.evaluate(variables)
        except ExpressionError as error:
            raise RuleError(f"input {self.expression.source!r}: {error.message}") from None

    def mask(self, value: Any, variables: Mapping[str, Any]) -> int:
        mask = self.any_rows | self.positive.match(value, variables)
        if self.negated_rows:
            mask |= self.negated_rows & ~self.negated.match(value, variables)
        return mask


# -- Definitions -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class InputColumn:
    label: str
    expression: str
    type: str


@dataclass(frozen=True)
class OutputColumn:
    name: str
    label: str
    type: str
    allowed: tuple[Any, ...]
    default: Any
    has_default: bool


_Output = Callable[[Mapping[str, Any]], Any]


class DecisionTable:
    """A compiled decision table."""

    kind = "decision_table"

    def __init__(self, definition: Mapping[str, Any]) -> None:
        problems: list[Problem] = []
        self.hit_policy = definition.get("hit_policy", "unique")
        if self.hit_policy not in HIT_POLICIES:
            problems.append(
                Problem("hit_policy", f"the hit policy is one of {', '.join(HIT_POLICIES)}")
            )
            self.hit_policy = "unique"
        aggregation = definition.get("aggregation") or None
        if aggregation is not None and aggregation not in AGGREGATIONS:
            problems.append(
                Problem("aggregation", f"the aggregation is one of {', '.join(AGGREGATIONS)}")
            )
            aggregation = None
        if aggregation is not None and self.hit_policy != "collect":
            problems.append(Problem("aggregation", "only the collect hit policy aggregates"))
            aggregation = None
        self.aggregation: str | None = aggregation
        self.input_columns = self._inputs(definition.get("inputs"), problems)
        self.output_columns = self._outputs(definition.get("outputs"), problems)
        if self.aggregation in ("sum", "min", "max") and len(self.output_columns) != 1:
            problems.append(
                Problem("aggregation", f"{self.aggregation} needs exactly one output column")
            )
        if self.hit_policy in ("priority", "output_order"):
            for index, column in enumerate(self.output_columns):
                if not column.allowed:
                    problems.append(
                        Problem(
                            f"outputs[{index}].allowed",
                            f"the {self.hit_policy} hit policy needs the output's values in "
                            "priority order (allowed values)",
                        )
                    )
        rows = definition.get("rules")
        if not isinstance(rows, list):
            problems.append(Problem("rules", "the rules are a list of rows"))
            rows = []
        if len(rows) > MAX_ROWS:
            problems.append(Problem("rules", f"a table has at most {MAX_ROWS:,} rows"))
            rows = []
        self.cells: list[list[UnaryTests]] = [[] for _ in self.input_columns]
        self.row_outputs: list[dict[str, Any] | None] = []
        self.row_evaluators: list[tuple[tuple[str, _Output], ...]] = []
        self.row_priority: list[tuple[int, ...]] = []
        self.descriptions: list[str] = []
        names: set[str] = set()
        for position, row in enumerate(rows):
            self._row(position, row, problems, names)
        if problems:
            raise RuleDefinitionError(problems)
        self.size = len(rows)
        self.all_rows = (1 << self.size) - 1
        self.columns: list[_Column] = []
        for index, input_column in enumerate(self.input_columns):
            compiled = _Column(input_column.expression, self.cells[index])
            self.columns.append(compiled)
            if compiled.expression is not None:
                names |= compiled.expression.names
            elif compiled.name is not None:
                names.add(compiled.name)
            elif compiled.path is not None:
                names.add(compiled.path[0])
        self.inputs = frozenset(names)
        self.outputs = tuple(column.name for column in self.output_columns)
        self.defaults: dict[str, Any] | None = (
            {column.name: column.default for column in self.output_columns}
            if any(column.has_default for column in self.output_columns)
            else None
        )

    # Compiling ---------------------------------------------------------------------------------

    def _inputs(self, raw: Any, problems: list[Problem]) -> list[InputColumn]:
        if not isinstance(raw, list) or not raw:
            problems.append(Problem("inputs", "a table needs at least one input column"))
            return []
        if len(raw) > MAX_COLUMNS:
            problems.append(Problem("inputs", f"a table has at most {MAX_COLUMNS} input columns"))
            return []
        columns = []
        for index, item in enumerate(raw):
            path = f"inputs[{index}]"
            if not isinstance(item, Mapping):
                problems.append(Problem(path, "an input column is an object"))
                continue
            expression = item.get("expression")
            if not isinstance(expression, str) or not expression.strip():
                problems.append(
                    Problem(f"{path}.expression", "give the input's expression, e.g. credit_score")
                )
                expression = "null"
            else:
                try:
                    compile_expression(expression)
                except ExpressionError as error:
                    problems.append(Problem(f"{path}.expression", error.message, error.offset))
            column_type = item.get("type") or "any"
            if column_type not in TYPES:
                problems.append(Problem(f"{path}.type", f"the type is one of {', '.join(TYPES)}"))
                column_type = "any"
            label = item.get("label") or expression
            columns.append(InputColumn(str(label), expression, column_type))
        return columns

    def _outputs(self, raw: Any, problems: list[Problem]) -> list[OutputColumn]:
        if not isinstance(raw, list) or not raw:
            problems.append(Problem("outputs", "a table needs at least one output column"))
            return []
        if len(raw) > MAX_COLUMNS:
            problems.append(Problem("outputs", f"a table has at most {MAX_COLUMNS} output columns"))
            return []
        columns = []
        seen: set[str] = set()
        for index, item in enumerate(raw):
            path = f"outputs[{index}]"
            if not isinstance(item, Mapping):
                problems.append(Problem(path, "an output column is an object"))
                continue
            name = item.get("name")
            if not isinstance(name, str) or not _NAME.fullmatch(name) or name in _RESERVED:
                problems.append(
                    Problem(f"{path}.name", "the output's name is a variable name, e.g. decision")
                )
                name = f"output{index}"
            elif name in seen:
                problems.append(Problem(f"{path}.name", f"two outputs are called {name!r}"))
            seen.add(name)
            column_type = item.get("type") or "any"
            if column_type not in TYPES:
                problems.append(Problem(f"{path}.type", f"the type is one of {', '.join(TYPES)}"))
                column_type = "any"
            allowed = item.get("allowed") or []
            if not isinstance(allowed, list):
                problems.append(Problem(f"{path}.allowed", "the allowed values are a list"))
                allowed = []
            for value in allowed:
                if not _fits(value, column_type) or isinstance(value, list | dict):
                    problems.append(
                        Problem(
                            f"{path}.allowed",
                            f"{literal_text(value)} is not one of the column's "
                            f"{_TYPE_WORDS.get(column_type, 'values')}",
                        )
                    )
            default = item.get("default")
            if default is not None and not _fits(default, column_type):
                problems.append(
                    Problem(
                        f"{path}.default",
                        f"the default is not one of the column's "
                        f"{_TYPE_WORDS.get(column_type, 'values')}",
                    )
                )
            columns.append(
                OutputColumn(
                    name=name,
                    label=str(item.get("label") or name),
                    type=column_type,
                    allowed=tuple(allowed),
                    default=default,
                    has_default="default" in item and default is not None,
                )
            )
        return columns

    def _row(self, position: int, row: Any, problems: list[Problem], names: set[str]) -> None:
        path = f"rules[{position}]"
        if not isinstance(row, Mapping):
            problems.append(Problem(path, "a row is an object with inputs and outputs"))
            return
        self.descriptions.append(str(row.get("description") or ""))
        cells = row.get("inputs")
        if not isinstance(cells, list) or len(cells) != len(self.input_columns):
            problems.append(
                Problem(
                    f"{path}.inputs",
                    f"the row needs {len(self.input_columns)} input cell(s), one per column",
                )
            )
            cells = ["-"] * len(self.input_columns)
        for index, (text, input_column) in enumerate(zip(cells, self.input_columns, strict=True)):
            cell_path = f"{path}.inputs[{index}]"
            if text is None:
                text = "-"
            if not isinstance(text, str):
                text = literal_text(text) if isinstance(text, bool | int | float) else str(text)
            try:
                tests = parse_cell(text)
            except CellSyntaxError as error:
                problems.append(Problem(cell_path, error.message, error.offset))
                tests = UnaryTests(text, any=True)
            else:
                for atom in tests.atoms:
                    for end in (atom.low, atom.high):
                        if (
                            end is not None
                            and end.is_literal
                            and not _fits(end.value, input_column.type)
                        ):
                            problems.append(
                                Problem(
                                    cell_path,
                                    f"{end.text()} is a {_kind_of(end.value)}, but the column "
                                    f"{input_column.label!r} holds "
                                    f"{_TYPE_WORDS[input_column.type]}",
                                )
                            )
                names |= tests.names()
            self.cells[index].append(tests)
        outputs = row.get("outputs")
        if not isinstance(outputs, list) or len(outputs) != len(self.output_columns):
            problems.append(
                Problem(
                    f"{path}.outputs",
                    f"the row needs {len(self.output_columns)} output cell(s), one per column",
                )
            )
            outputs = [""] * len(self.output_columns)
        constant: dict[str, Any] = {}
        evaluators: list[tuple[str, _Output]] = []
        priority: list[int] = []
        for index, (text, column) in enumerate(zip(outputs, self.output_columns, strict=True)):
            cell_path = f"{path}.outputs[{index}]"
            value, expression = self._output_cell(text, column, cell_path, problems)
            if expression is not None:
                names |= expression.names
                evaluators.append((column.name, _output_evaluator(expression, column.name)))
                if column.allowed:
                    problems.append(
                        Problem(cell_path, "with allowed values, an output must be a literal")
                    )
                priority.append(0)
                continue
            constant[column.name] = value
            if column.allowed:
                index_in = next(
                    (i for i, allowed in enumerate(column.allowed) if equal(allowed, value)), None
                )
                if index_in is None and value is not None:
                    shown = ", ".join(literal_text(v) for v in column.allowed)
                    problems.append(
                        Problem(
                            cell_path, f"{literal_text(value)} is not an allowed value ({shown})"
                        )
                    )
                priority.append(len(column.allowed) if index_in is None else index_in)
            else:
                priority.append(0)
        if evaluators:
            self.row_outputs.append(None)
            self.row_evaluators.append(
                tuple((name, _constant(value)) for name, value in constant.items())
                + tuple(evaluators)
            )
        else:
            self.row_outputs.append(constant)
            self.row_evaluators.append(())
        self.row_priority.append(tuple(priority))

    def _output_cell(
        self, text: Any, column: OutputColumn, path: str, problems: list[Problem]
    ) -> tuple[Any, Expression | None]:
        if text is None or isinstance(text, bool | int | float):
            value = text
        elif not isinstance(text, str):
            problems.append(Problem(path, "an output cell is a literal or an expression"))
            return None, None
        elif not text.strip():
            return None, None
        else:
            try:
                value = parse_literal(text)
            except CellSyntaxError:
                try:
                    return None, compile_expression(text)
                except ExpressionError as error:
                    problems.append(Problem(path, error.message, error.offset))
                    return None, None
        if not _fits(value, column.type):
            problems.append(
                Problem(
                    path,
                    f"{literal_text(value)} is a {_kind_of(value)}, but the output "
                    f"{column.name!r} holds {_TYPE_WORDS[column.type]}",
                )
            )
        return value, None

    # Evaluating --------------------------------------------------------------------------------

    def match(self, variables: Mapping[str, Any]) -> int:
        """The bit set of the rows whose every input cell holds."""
        mask = self.all_rows
        for column in self.columns:
            mask &= column.mask(column.value(variables), variables)
            if not mask:
                return 0
        return mask

    def row_result(self, row: int, variables: Mapping[str, Any]) -> dict[str, Any]:
        constant = self.row_outputs[row]
        if constant is not None:
            return dict(constant)
        return {name: evaluate(variables) for name, evaluate in self.row_evaluators[row]}

    def evaluate(self, variables: Mapping[str, Any]) -> Evaluation:
        mask = self.match(variables)
        policy = self.hit_policy
        if policy == "first":
            if not mask:
                return Evaluation(self._nothing(), 0, ())
            row = (mask & -mask).bit_length() - 1
            return Evaluation(self.row_result(row, variables), mask, (row,))
        if policy in SINGLE_HIT:
            return self._single(mask, variables)
        return self._multiple(mask, variables)

    def _nothing(self) -> Any:
        return dict(self.defaults) if self.defaults is not None else None

    def _single(self, mask: int, variables: Mapping[str, Any]) -> Evaluation:
        if not mask:
            return Evaluation(self._nothing(), 0, ())
        rows = bits(mask)
        if len(rows) == 1:
            return Evaluation(self.row_result(rows[0], variables), mask, rows)
        shown = ", ".join(str(row + 1) for row in rows[:10])
        if self.hit_policy == "unique":
            raise HitPolicyViolation(
                f"hit policy unique: rows {shown} all match; at most one may", rows
            )
        if self.hit_policy == "any":
            results = [self.row_result(row, variables) for row in rows]
            if any(not _same_outputs(result, results[0]) for result in results[1:]):
                raise HitPolicyViolation(
                    f"hit policy any: rows {shown} match but give different outputs", rows
                )
            return Evaluation(results[0], mask, (rows[0],))
        # priority
        best = min(rows, key=lambda row: (self.row_priority[row], row))
        return Evaluation(self.row_result(best, variables), mask, (best,))

    def _multiple(self, mask: int, variables: Mapping[str, Any]) -> Evaluation:
        rows = bits(mask)
        if self.hit_policy == "output_order":
            rows = tuple(sorted(rows, key=lambda row: (self.row_priority[row], row)))
        if self.aggregation == "count":
            return Evaluation(len(rows), mask, rows)
        results = [self.row_result(row, variables) for row in rows]
        if self.aggregation is None:
            return Evaluation(results, mask, rows)
        name = self.outputs[0]
        values = [result[name] for result in results if result[name] is not None]
        if not values:
            return Evaluation(None, mask, rows)
        if any(not is_number(value) for value in values) and self.aggregation == "sum":
            raise RuleError(f"collect sum: the output {name!r} has values that are not numbers")
        try:
            if self.aggregation == "sum":
                return Evaluation(sum(values), mask, rows)
            if self.aggregation == "min":
                return Evaluation(min(values), mask, rows)
            return Evaluation(max(values), mask, rows)
        except TypeError:
            raise RuleError(
                f"collect {self.aggregation}: the values of {name!r} cannot be compared"
            ) from None

    def evaluate_naive(self, variables: Mapping[str, Any]) -> int:
        """The matching rows by testing every cell in turn: the reference the index must equal."""
        values = [column.value(variables) for column in self.columns]
        mask = 0
        for row in range(self.size):
            if all(
                self.cells[index][row].matches(values[index], variables)
                for index in range(len(self.columns))
            ):
                mask |= 1 << row
        return mask


def _same_outputs(left: Mapping[str, Any], right: Mapping[str, Any]) -> bool:
    return left.keys() == right.keys() and all(equal(left[key], right[key]) for key in left)


def _constant(value: Any) -> _Output:
    return lambda variables: value


def _output_evaluator(expression: Expression, name: str) -> _Output:
    def evaluate(variables: Mapping[str, Any]) -> Any:
        try:
            return expression.evaluate(variables)
        except ExpressionError as error:
            raise RuleError(f"output {name!r}: {error}") from None

    return evaluate


# -- Static hit-policy check -----------------------------------------------------------------------


@dataclass(frozen=True)
class Overlap:
    """Two rows that some input matches both; ``example`` is such an input, where one was found."""

    rows: tuple[int, int]
    example: dict[str, Any]

    def message(self, hit_policy: str) -> str:
        first, second = (row + 1 for row in self.rows)
        shown = ", ".join(f"{key} = {literal_text(value)}" for key, value in self.example.items())
        example = f", e.g. for {shown}" if shown else ""
        what = "give different outputs" if hit_policy == "any" else "may match the same input"
        return f"rows {first} and {second} {what}{example} (hit policy {hit_policy})"


class _Domain:
    """The values a cell accepts, for one column: number segments, texts, booleans, null.

    Texts are a finite set (``texts``) or every text but ``texts`` (``all_texts``); ``unknown``
    marks a cell whose tests depend on case data or order texts, which is left out of the check.
    """

    __slots__ = ("all_texts", "falses", "null", "numbers", "texts", "trues", "unknown")

    def __init__(self) -> None:
        self.numbers = 0
        self.texts: frozenset[str] = frozenset()
        self.all_texts = False
        self.trues = self.falses = self.null = False
        self.unknown = False


class _ColumnDomains:
    def __init__(self, cells: list[UnaryTests], column_type: str) -> None:
        bounds: set[Any] = set()
        for cell in cells:
            for atom in cell.atoms:
                for end in (atom.low, atom.high):
                    if end is not None and end.is_literal and is_number(end.value):
                        bounds.add(end.value)
        self.bounds = sorted(bounds)
        self.size = 2 * len(self.bounds) + 1
        self.position = {value: index for index, value in enumerate(self.bounds)}
        self.type = column_type
        self.domains = [self.domain(cell) for cell in cells]

    def segments(self, low: Any, low_closed: bool, high: Any, high_closed: bool) -> int:
        first = 0 if low is None else 2 * self.position[low] + (1 if low_closed else 2)
        last = (
            self.size - 1 if high is None else 2 * self.position[high] + (1 if high_closed else 0)
        )
        if first > last:
            return 0
        return ((1 << (last + 1)) - 1) ^ ((1 << first) - 1)

    def domain(self, cell: UnaryTests) -> _Domain:
        domain = _Domain()
        if cell.any:
            domain.numbers = (1 << self.size) - 1
            domain.all_texts = domain.trues = domain.falses = domain.null = True
            return self.restrict(domain)
        texts: set[str] = set()
        for atom in cell.atoms:
            if not atom.is_literal:
                domain.unknown = True
                continue
            if atom.kind == "eq" and atom.low is not None:
                value = atom.low.value
                if is_number(value):
                    domain.numbers |= self.segments(value, True, value, True)
                elif isinstance(value, str):
                    texts.add(value)
                elif value is True:
                    domain.trues = True
                elif value is False:
                    domain.falses = True
                elif value is None:
                    domain.null = True
                continue
            low = atom.low.value if atom.low is not None else None
            high = atom.high.value if atom.high is not None else None
            if (low is None or is_number(low)) and (high is None or is_number(high)):
                domain.numbers |= self.segments(low, atom.low_closed, high, atom.high_closed)
            else:
                domain.unknown = True
        domain.texts = frozenset(texts)
        if cell.negated:
            domain.numbers = ((1 << self.size) - 1) & ~domain.numbers
            domain.all_texts = True  # every text but ``texts``
            domain.trues, domain.falses = not domain.trues, not domain.falses
            domain.null = not domain.null
        return self.restrict(domain)

    def restrict(self, domain: _Domain) -> _Domain:
        if self.type == "number":
            domain.texts, domain.all_texts = frozenset(), False
            domain.trues = domain.falses = False
        elif self.type == "string":
            domain.numbers = 0
            domain.trues = domain.falses = False
        elif self.type == "boolean":
            domain.numbers = 0
            domain.texts, domain.all_texts = frozenset(), False
        return domain

    def representative(self, segment: int) -> Any:
        bounds = self.bounds
        if not bounds:
            return 0
        if segment % 2 == 1:
            return bounds[segment // 2]
        index = segment // 2
        if index == 0:
            return bounds[0] - 1
        if index == len(bounds):
            return bounds[-1] + 1
        low, high = bounds[index - 1], bounds[index]
        if isinstance(low, int) and isinstance(high, int) and high - low > 1:
            return low + 1
        return (low + high) / 2

    def common(self, first: _Domain, second: _Domain) -> tuple[bool, Any]:
        """Whether two cells share a value, and one such value."""
        numbers = first.numbers & second.numbers
        if numbers:
            return True, self.representative((numbers & -numbers).bit_length() - 1)
        if first.all_texts and second.all_texts:
            excluded = first.texts | second.texts
            return True, next(
                text
                for text in (f"other{n}" if n else "other" for n in count())
                if text not in excluded
            )
        if first.all_texts or second.all_texts:
            finite, cofinite = (second, first) if first.all_texts else (first, second)
            left = sorted(finite.texts - cofinite.texts)
            if left:
                return True, left[0]
        else:
            shared = sorted(first.texts & second.texts)
            if shared:
                return True, shared[0]
        if first.trues and second.trues:
            return True, True
        if first.falses and second.falses:
            return True, False
        if first.null and second.null:
            return True, None
        return False, None


def hit_policy_overlaps(table: DecisionTable, limit: int = 20) -> list[Overlap]:
    """Pairs of rows that can match the same input where the hit policy forbids it.

    Checked for ``unique`` (no two rows may overlap) and ``any`` (overlapping rows must give the
    same outputs; rows with computed outputs are left to the run-time check). Cells that read
    case variables or order texts cannot be decided here and never count as overlapping.
    """
    if table.hit_policy not in ("unique", "any") or table.size < 2:
        return []
    columns = [
        _ColumnDomains(table.cells[index], column.type)
        for index, column in enumerate(table.input_columns)
    ]
    found: list[Overlap] = []
    for first in range(table.size):
        if any(column.domains[first].unknown for column in columns):
            continue
        for second in range(first + 1, table.size):
            example: dict[str, Any] = {}
            for index, column in enumerate(columns):
                other = column.domains[second]
                if other.unknown:
                    break
                shared, value = column.common(column.domains[first], other)
                if not shared:
                    break
                example_key = table.input_columns[index].expression.strip()
                example[example_key] = value
            else:
                if table.hit_policy == "any":
                    left, right = table.row_outputs[first], table.row_outputs[second]
                    if left is None or right is None or _same_outputs(left, right):
                        continue
                found.append(Overlap((first, second), example))
                if len(found) >= limit:
                    return found
    return found


def example_variables(example: Mapping[str, Any]) -> dict[str, Any]:
    """Case data that gives each input expression of an overlap's example its value, where the
    expression is a name or a dotted path (others cannot be inverted)."""
    data: dict[str, Any] = {}
    for expression, value in example.items():
        if not _PATH.fullmatch(expression):
            continue
        parts = expression.split(".")
        target = data
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = value
    return data
