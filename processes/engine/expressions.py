"""The safe expression language of conditions, loop and completion rules and cardinalities.

Source text is parsed with ``ast``, checked against a whitelist and compiled into closures; nothing
ever reaches ``eval`` or ``exec``, and the limits below keep a hostile expression from hanging.
"""

from __future__ import annotations

import ast
import functools
import operator
import re
import warnings
from collections.abc import Callable, Mapping
from decimal import Decimal
from fractions import Fraction
from typing import Any, Final, NoReturn

MAX_SOURCE_LENGTH: Final = 10_000
#: Nesting of the syntax tree; also bounds the Python stack an evaluation uses.
MAX_DEPTH: Final = 100
MAX_EXPONENT: Final = 1000
#: Size of an integer that ``*`` or ``**`` may produce (about 30,000 decimal digits).
MAX_INTEGER_BITS: Final = 100_000
#: Items (characters of text, nested items of lists) one ``*`` may produce.
MAX_SEQUENCE_LENGTH: Final = 100_000
#: Items ``+`` and ``*`` may produce in one evaluation, so repeating a big term cannot add up.
MAX_BUILT_ITEMS: Final = 1_000_000
MAX_ROUND_DIGITS: Final = 100

Variables = Mapping[str, Any]

_CONSTANT_ALIASES: Final[Mapping[str, Any]] = {"true": True, "false": False, "null": None}
_TEXT_TYPES: Final = (str, bytes, bytearray)
_SEQUENCE_TYPES: Final = (str, bytes, bytearray, list, tuple)
_NUMBER_TYPES: Final = (int, float, Decimal, Fraction)
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class ExpressionError(ValueError):
    """An expression that cannot be compiled or evaluated.

    ``offset`` is the 0-based character offset into ``source`` of the offending part (its column
    when the source is one line), or None when unknown.
    """

    def __init__(self, message: str, source: str = "", offset: int | None = None) -> None:
        super().__init__(message, source, offset)
        self.message = message
        self.source = source
        self.offset = offset

    def __str__(self) -> str:
        if not self.source:
            return self.message
        shown = self.source if len(self.source) <= 80 else self.source[:77] + "..."
        where = ""
        if self.offset is not None:
            line, column = _line_and_column(self.source, self.offset)
            several_lines = _LINE_BREAK.search(self.source) is not None
            where = f", line {line} column {column}" if several_lines else f", column {column}"
        return f"{self.message} (in {shown!r}{where})"


class _Failure(Exception):
    """A run-time error inside the closures; ``Expression.evaluate`` adds the source."""

    def __init__(self, message: str, offset: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


class _Budget:
    """What one evaluation may still build with ``+`` and ``*``."""

    __slots__ = ("remaining",)

    def __init__(self) -> None:
        self.remaining = MAX_BUILT_ITEMS

    def charge(self, items: int) -> None:
        self.remaining -= items
        if self.remaining < 0:
            raise ValueError(f"the expression builds more than {MAX_BUILT_ITEMS:,} items")


Evaluator = Callable[[Variables, _Budget], Any]


class Expression:
    """A compiled expression: ``names`` are the variables it reads, ``evaluate`` runs it."""

    __slots__ = ("_evaluator", "names", "source")

    def __init__(self, source: str, names: frozenset[str], evaluator: Evaluator) -> None:
        self.source = source
        self.names = names
        self._evaluator = evaluator

    def __repr__(self) -> str:
        return f"Expression({self.source!r})"

    def evaluate(self, variables: Variables) -> Any:
        try:
            return self._evaluator(variables, _Budget())
        except _Failure as failure:
            raise ExpressionError(failure.message, self.source, failure.offset) from (
                failure.__cause__
            )
        except RecursionError:
            raise ExpressionError("the data is nested too deeply", self.source) from None
        except MemoryError:
            raise ExpressionError("the expression ran out of memory", self.source) from None
        except Exception as exc:
            message = str(exc) or type(exc).__name__
            raise ExpressionError(f"evaluation failed: {message}", self.source) from exc


@functools.lru_cache(maxsize=4096)
def compile_expression(source: str) -> Expression:
    """Parse, check and compile ``source``; the same text is compiled once."""
    if len(source) > MAX_SOURCE_LENGTH:
        raise ExpressionError(
            f"the expression is longer than {MAX_SOURCE_LENGTH:,} characters", source
        )
    text = source.strip()
    if not text:
        raise ExpressionError("the expression is empty", source)
    compiler = _Compiler(source, text, len(source) - len(source.lstrip()))
    evaluator = compiler.compile(compiler.parse().body, 1)
    return Expression(source, frozenset(compiler.names), evaluator)


def evaluate(source: str, variables: Variables) -> Any:
    return compile_expression(source).evaluate(variables)


def is_truthy(value: Any) -> bool:
    """Python truthiness, as an ExpressionError for values that have none (such as numpy arrays)."""
    try:
        return bool(value)
    except Exception as exc:
        raise ExpressionError(f"{_type_name(value)} cannot be used as a condition: {exc}") from exc


def _line_and_column(source: str, offset: int) -> tuple[int, int]:
    """1-based line and column of a character offset."""
    line, line_start = 1, 0
    for line_break in _LINE_BREAK.finditer(source, 0, offset):
        line, line_start = line + 1, line_break.end()
    return line, offset - line_start + 1


def _type_name(value: Any) -> str:
    return "None" if value is None else type(value).__name__


# -- Operators -------------------------------------------------------------------------------------


def _weight(value: Any, limit: int) -> int:
    """How many items ``value`` holds, counting nested ones and characters; stops past ``limit``.

    Nested items count every time they are referred to: ``[[0] * 1000] * 1000`` is small in memory
    but a million items to print or compare.
    """
    total = 0
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, _TEXT_TYPES):
            total += len(item)
        elif isinstance(item, list | tuple | set | frozenset | dict):
            total += len(item)
            if total > limit:
                return total
            if isinstance(item, dict):
                pending.extend(item.keys())
                pending.extend(item.values())
            else:
                pending.extend(item)
        elif isinstance(item, int):
            # Roughly its decimal digits, which is what printing it costs.
            total += item.bit_length() // 3
        if total > limit:
            return total
    return total


def _add(left: Any, right: Any, budget: _Budget) -> Any:
    if isinstance(left, _SEQUENCE_TYPES) and isinstance(right, _SEQUENCE_TYPES):
        budget.charge(len(left) + len(right))
    return left + right


def _multiply(left: Any, right: Any, budget: _Budget) -> Any:
    if isinstance(left, _SEQUENCE_TYPES) and isinstance(right, int):
        sequence, times = left, right
    elif isinstance(right, _SEQUENCE_TYPES) and isinstance(left, int):
        sequence, times = right, left
    else:
        if (
            isinstance(left, int)
            and isinstance(right, int)
            and left.bit_length() + right.bit_length() > MAX_INTEGER_BITS
        ):
            raise ValueError("the result of '*' would be too large")
        return left * right
    if times > 0 and sequence:
        items = _weight(sequence, MAX_SEQUENCE_LENGTH) * times
        if items > MAX_SEQUENCE_LENGTH:
            raise ValueError(
                f"the result of '*' would be longer than {MAX_SEQUENCE_LENGTH:,} items"
            )
        budget.charge(items)
    return sequence * times


def _power(base: Any, exponent: Any, budget: _Budget) -> Any:
    # Floats overflow cheaply by themselves; exact numbers would grow without bound.
    if not isinstance(base, float | complex) and isinstance(exponent, _NUMBER_TYPES):
        if exponent > MAX_EXPONENT:
            raise ValueError(f"the exponent of '**' is larger than {MAX_EXPONENT}")
        if (
            isinstance(base, int)
            and isinstance(exponent, int)
            and base.bit_length() * exponent > MAX_INTEGER_BITS
        ):
            raise ValueError("the result of '**' would be too large")
    return base**exponent


def _modulo(left: Any, right: Any, budget: _Budget) -> Any:
    # ``'%999999999d' % 1`` would build a gigabyte of text.
    if isinstance(left, _TEXT_TYPES):
        raise ValueError("formatting text with '%' is not allowed")
    return left % right


def _plain(function: Callable[[Any, Any], Any]) -> Callable[[Any, Any, _Budget], Any]:
    return lambda left, right, budget: function(left, right)


_BINARY_OPERATORS: Final[
    dict[type[ast.operator], tuple[str, Callable[[Any, Any, _Budget], Any]]]
] = {
    ast.Add: ("+", _add),
    ast.Sub: ("-", _plain(operator.sub)),
    ast.Mult: ("*", _multiply),
    ast.Div: ("/", _plain(operator.truediv)),
    ast.FloorDiv: ("//", _plain(operator.floordiv)),
    ast.Mod: ("%", _modulo),
    ast.Pow: ("**", _power),
}
_REFUSED_OPERATORS: Final[dict[type[ast.AST], str]] = {
    ast.MatMult: "@",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.BitAnd: "&",
    ast.Invert: "~",
}
_UNARY_OPERATORS: Final[dict[type[ast.unaryop], tuple[str, Callable[[Any], Any]]]] = {
    ast.UAdd: ("+", operator.pos),
    ast.USub: ("-", operator.neg),
    ast.Not: ("not", operator.not_),
}
_COMPARISONS: Final[dict[type[ast.cmpop], tuple[str, Callable[[Any, Any], Any]]]] = {
    ast.Eq: ("==", operator.eq),
    ast.NotEq: ("!=", operator.ne),
    ast.Lt: ("<", operator.lt),
    ast.LtE: ("<=", operator.le),
    ast.Gt: (">", operator.gt),
    ast.GtE: (">=", operator.ge),
    ast.Is: ("is", operator.is_),
    ast.IsNot: ("is not", operator.is_not),
    ast.In: ("in", lambda item, container: item in container),
    ast.NotIn: ("not in", lambda item, container: item not in container),
}
_REFUSED_NODES: Final[dict[type[ast.AST], str]] = {
    ast.Lambda: "lambda is not allowed",
    ast.ListComp: "comprehensions are not allowed",
    ast.SetComp: "comprehensions are not allowed",
    ast.DictComp: "comprehensions are not allowed",
    ast.GeneratorExp: "generator expressions are not allowed",
    ast.NamedExpr: "assignment expressions (:=) are not allowed",
    ast.Starred: "unpacking with '*' is not allowed",
    ast.Await: "await is not allowed",
    ast.Yield: "yield is not allowed",
    ast.YieldFrom: "yield is not allowed",
    ast.Slice: "a slice is only allowed directly inside [...]",
}


# -- Functions and methods -------------------------------------------------------------------------


def _round(number: Any, ndigits: Any = None) -> Any:
    if ndigits is None:
        return round(number)
    # ``round(5, -10**9)`` would compute 10 ** 10**9.
    if isinstance(ndigits, int) and abs(ndigits) > MAX_ROUND_DIGITS:
        raise ValueError(f"ndigits must be between -{MAX_ROUND_DIGITS} and {MAX_ROUND_DIGITS}")
    return round(number, ndigits)


def _sum(values: Any, start: Any = 0) -> Any:
    # A list or text start would make ``sum`` concatenate, quadratically.
    if not isinstance(start, _NUMBER_TYPES):
        raise TypeError(f"start must be a number, not {_type_name(start)}")
    return sum(values, start)


#: Whitelisted functions and the keyword arguments each accepts.
_FUNCTIONS: Final[dict[str, tuple[Callable[..., Any], frozenset[str]]]] = {
    "len": (len, frozenset()),
    "min": (min, frozenset({"default"})),
    "max": (max, frozenset({"default"})),
    "abs": (abs, frozenset()),
    "round": (_round, frozenset({"ndigits"})),
    "int": (int, frozenset({"base"})),
    "float": (float, frozenset()),
    "str": (str, frozenset()),
    "bool": (bool, frozenset()),
    "sum": (_sum, frozenset({"start"})),
    "any": (any, frozenset()),
    "all": (all, frozenset()),
    "sorted": (sorted, frozenset({"reverse"})),
    "list": (list, frozenset()),
}
#: Read-only methods of text that may be called.
_TEXT_METHODS: Final[dict[str, Callable[..., Any]]] = {
    "lower": str.lower,
    "upper": str.upper,
    "strip": str.strip,
    "startswith": str.startswith,
    "endswith": str.endswith,
}
_FORMAT_CONVERSIONS: Final[dict[int, Callable[[Any], str]]] = {
    -1: format,
    ord("s"): str,
    ord("r"): repr,
    ord("a"): ascii,
}


# -- Compilation -----------------------------------------------------------------------------------


class _Compiler:
    """Turns a checked syntax tree into closures ``(variables, budget) -> value``."""

    def __init__(self, source: str, text: str, lead: int) -> None:
        self.source = source
        self.text = text
        self.lead = lead
        self.names: set[str] = set()
        self.line_starts = [0] + [match.end() for match in _LINE_BREAK.finditer(text)]
        #: The text the tree was parsed from, and how far it shifts the first line.
        self.parsed_text = text
        self.shift = 0

    def parse(self) -> ast.Expression:
        # Conditions taken from BPMN XML often span lines, which Python allows inside brackets.
        # When the body starts at the added bracket, that bracket closed early (as in "a) or (b")
        # or made a tuple; the text is then parsed as written.
        wrapped = f"({self.text}\n)"
        try:
            tree = self.parse_text(wrapped)
        except ExpressionError:
            pass
        else:
            if (tree.body.lineno, tree.body.col_offset) > (1, 0):
                self.parsed_text, self.shift = wrapped, 1
                return tree
        return self.parse_text(self.text)

    def parse_text(self, text: str) -> ast.Expression:
        try:
            # Invalid escapes such as '\d' only warn; the warning means nothing to the author.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return ast.parse(text, mode="eval")
        except SyntaxError as exc:
            offset = None
            if exc.lineno is not None and exc.offset is not None and exc.offset > 0:
                line = min(max(exc.lineno, 1), len(self.line_starts))
                column = self.line_starts[line - 1] + exc.offset - 1
                offset = self.lead + min(column, len(self.text))
            elif exc.offset == 0:
                # Python reports text that ends too early at column 0; the end is where it is.
                offset = self.lead + len(self.text)
            message = exc.msg
            if "null bytes" in message:
                message = "the expression contains a NUL character"
                offset = None
            raise ExpressionError(f"syntax error: {message}", self.source, offset) from None
        except (RecursionError, MemoryError):
            raise ExpressionError(
                f"the expression is nested too deeply (limit {MAX_DEPTH} levels)", self.source
            ) from None
        except ValueError as exc:
            raise ExpressionError(f"syntax error: {exc}", self.source) from None

    def offset(self, lineno: int | None, col_offset: int | None) -> int | None:
        """A character offset into the source from the tree's line and UTF-8 byte column."""
        if lineno is None or col_offset is None or not 1 <= lineno <= len(self.line_starts):
            return None
        if lineno == 1:
            col_offset = max(col_offset - self.shift, 0)
        start = self.line_starts[lineno - 1]
        line = self.text[start : start + col_offset]
        column = len(line.encode("utf-8", "surrogatepass")[:col_offset].decode("utf-8", "ignore"))
        return self.lead + start + column

    def node_offset(self, node: ast.AST) -> int | None:
        return self.offset(getattr(node, "lineno", None), getattr(node, "col_offset", None))

    def refuse(self, message: str, node: ast.AST) -> NoReturn:
        raise ExpressionError(message, self.source, self.node_offset(node))

    def describe(self, node: ast.AST) -> str:
        """The author's own spelling of a part of the expression, for run-time messages."""
        segment = ast.get_source_segment(self.parsed_text, node) or "the value"
        segment = " ".join(segment.split())
        return segment if len(segment) <= 60 else segment[:57] + "..."

    def check_name(self, name: str, node: ast.AST) -> None:
        if name.startswith("_"):
            offset = self.node_offset(node)
            if isinstance(node, ast.Attribute):
                offset = self.attribute_offset(node)
            message = f"names starting with '_' are not allowed: {name!r}"
            raise ExpressionError(message, self.source, offset)

    def attribute_offset(self, node: ast.Attribute) -> int | None:
        """Where the name after the dot is, which the tree does not record."""
        if node.end_col_offset is None:
            return None
        return self.offset(node.end_lineno, node.end_col_offset - len(node.attr.encode()))

    def compile(self, node: ast.AST, depth: int) -> Evaluator:
        if depth > MAX_DEPTH:
            self.refuse(f"the expression is nested too deeply (limit {MAX_DEPTH} levels)", node)
        depth += 1
        if isinstance(node, ast.Constant):
            return self.constant(node)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.BoolOp):
            return self.boolean(node, depth)
        if isinstance(node, ast.UnaryOp):
            return self.unary(node, depth)
        if isinstance(node, ast.BinOp):
            return self.binary(node, depth)
        if isinstance(node, ast.Compare):
            return self.comparison(node, depth)
        if isinstance(node, ast.IfExp):
            return self.conditional(node, depth)
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            return self.collection(node, depth)
        if isinstance(node, ast.Dict):
            return self.mapping(node, depth)
        if isinstance(node, ast.Subscript):
            return self.subscript(node, depth)
        if isinstance(node, ast.Attribute):
            return self.attribute(node, depth)
        if isinstance(node, ast.Call):
            return self.call(node, depth)
        if isinstance(node, ast.JoinedStr):
            return self.formatted_text(node, depth)
        self.refuse(_REFUSED_NODES.get(type(node), f"{type(node).__name__} is not allowed"), node)

    def constant(self, node: ast.Constant) -> Evaluator:
        value = node.value
        if value is not None and not isinstance(value, int | float | str):
            if isinstance(value, bytes):
                self.refuse("bytes literals are not allowed", node)
            if isinstance(value, complex):
                self.refuse("complex numbers are not allowed", node)
            self.refuse(f"the literal {value!r} is not allowed", node)
        return lambda variables, budget: value

    def name(self, node: ast.Name) -> Evaluator:
        name = node.id
        self.check_name(name, node)
        if name in _CONSTANT_ALIASES:
            alias = _CONSTANT_ALIASES[name]
            return lambda variables, budget: variables.get(name, alias)
        self.names.add(name)
        offset = self.node_offset(node)

        def load(variables: Variables, budget: _Budget) -> Any:
            try:
                return variables[name]
            except KeyError:
                raise _Failure(f"unknown variable {name!r}", offset) from None

        return load

    def boolean(self, node: ast.BoolOp, depth: int) -> Evaluator:
        operands = tuple(self.compile(value, depth) for value in node.values)
        if isinstance(node.op, ast.And):

            def all_of(variables: Variables, budget: _Budget) -> Any:
                value: Any = True
                for operand in operands:
                    value = operand(variables, budget)
                    if not value:
                        return value
                return value

            return all_of

        def any_of(variables: Variables, budget: _Budget) -> Any:
            value: Any = False
            for operand in operands:
                value = operand(variables, budget)
                if value:
                    return value
            return value

        return any_of

    def unary(self, node: ast.UnaryOp, depth: int) -> Evaluator:
        if type(node.op) in _REFUSED_OPERATORS:
            self.refuse(f"the operator {_REFUSED_OPERATORS[type(node.op)]!r} is not allowed", node)
        symbol, function = _UNARY_OPERATORS[type(node.op)]
        operand = self.compile(node.operand, depth)
        offset = self.node_offset(node)

        def apply(variables: Variables, budget: _Budget) -> Any:
            value = operand(variables, budget)
            try:
                return function(value)
            except TypeError as exc:
                message = f"cannot apply {symbol!r} to {_type_name(value)}"
                raise _Failure(message, offset) from exc

        return apply

    def binary(self, node: ast.BinOp, depth: int) -> Evaluator:
        if type(node.op) in _REFUSED_OPERATORS:
            self.refuse(f"the operator {_REFUSED_OPERATORS[type(node.op)]!r} is not allowed", node)
        symbol, function = _BINARY_OPERATORS[type(node.op)]
        left = self.compile(node.left, depth)
        right = self.compile(node.right, depth)
        offset = self.node_offset(node)

        def apply(variables: Variables, budget: _Budget) -> Any:
            left_value = left(variables, budget)
            right_value = right(variables, budget)
            try:
                return function(left_value, right_value, budget)
            except TypeError as exc:
                types = f"{_type_name(left_value)} and {_type_name(right_value)}"
                raise _Failure(f"cannot apply {symbol!r} to {types}", offset) from exc
            except ZeroDivisionError as exc:
                raise _Failure("division by zero", offset) from exc
            except OverflowError as exc:
                raise _Failure(f"the result of {symbol!r} is too large", offset) from exc
            except (ArithmeticError, ValueError) as exc:
                raise _Failure(str(exc), offset) from exc

        return apply

    def comparison(self, node: ast.Compare, depth: int) -> Evaluator:
        first = self.compile(node.left, depth)
        steps = tuple(
            (*_COMPARISONS[type(op)], self.compile(comparator, depth))
            for op, comparator in zip(node.ops, node.comparators, strict=True)
        )
        offset = self.node_offset(node)

        def failure(symbol: str, left: Any, right: Any) -> _Failure:
            if symbol in ("in", "not in"):
                message = f"cannot look for {_type_name(left)} in {_type_name(right)}"
            else:
                message = (
                    f"cannot compare {_type_name(left)} and {_type_name(right)} with {symbol!r}"
                )
            return _Failure(message, offset)

        if len(steps) == 1:
            ((symbol, function, second),) = steps

            def compare(variables: Variables, budget: _Budget) -> Any:
                left = first(variables, budget)
                right = second(variables, budget)
                try:
                    return function(left, right)
                except TypeError as exc:
                    raise failure(symbol, left, right) from exc

            return compare

        def compare_chain(variables: Variables, budget: _Budget) -> Any:
            left = first(variables, budget)
            result: Any = True
            for symbol, function, operand in steps:
                right = operand(variables, budget)
                try:
                    result = function(left, right)
                except TypeError as exc:
                    raise failure(symbol, left, right) from exc
                if not result:
                    return result
                left = right
            return result

        return compare_chain

    def conditional(self, node: ast.IfExp, depth: int) -> Evaluator:
        test = self.compile(node.test, depth)
        body = self.compile(node.body, depth)
        orelse = self.compile(node.orelse, depth)
        return lambda variables, budget: (
            body(variables, budget) if test(variables, budget) else orelse(variables, budget)
        )

    def collection(self, node: ast.List | ast.Tuple | ast.Set, depth: int) -> Evaluator:
        items = tuple(self.compile(item, depth) for item in node.elts)
        if isinstance(node, ast.List):
            return lambda variables, budget: [item(variables, budget) for item in items]
        if isinstance(node, ast.Tuple):
            return lambda variables, budget: tuple(item(variables, budget) for item in items)
        offset = self.node_offset(node)

        def build_set(variables: Variables, budget: _Budget) -> Any:
            values = [item(variables, budget) for item in items]
            try:
                return set(values)
            except TypeError as exc:
                raise _Failure(f"a set cannot hold a {_unhashable(values)}", offset) from exc

        return build_set

    def mapping(self, node: ast.Dict, depth: int) -> Evaluator:
        entries = []
        for key, value in zip(node.keys, node.values, strict=True):
            if key is None:
                self.refuse("unpacking with '**' is not allowed", value)
            entries.append((self.compile(key, depth), self.compile(value, depth)))
        offset = self.node_offset(node)

        def build_dict(variables: Variables, budget: _Budget) -> Any:
            pairs = [(key(variables, budget), value(variables, budget)) for key, value in entries]
            try:
                return dict(pairs)
            except TypeError as exc:
                keys = [key for key, _ in pairs]
                raise _Failure(f"a {_unhashable(keys)} cannot be a dict key", offset) from exc

        return build_dict

    def subscript(self, node: ast.Subscript, depth: int) -> Evaluator:
        container = self.compile(node.value, depth)
        if isinstance(node.slice, ast.Slice):
            key = self.slice(node.slice, depth)
        else:
            key = self.compile(node.slice, depth)
        offset = self.node_offset(node.slice)

        def read(variables: Variables, budget: _Budget) -> Any:
            value = container(variables, budget)
            index = key(variables, budget)
            try:
                return value[index]
            except KeyError:
                message = f"{self.describe(node.value)} has no key {index!r}"
                raise _Failure(message, offset) from None
            except IndexError:
                message = f"index {index!r} is out of range for {self.describe(node.value)}"
                if isinstance(value, _SEQUENCE_TYPES):
                    message += f" (length {len(value)})"
                raise _Failure(message, offset) from None
            except (TypeError, ValueError) as exc:
                described = self.describe(node.value)
                message = f"cannot look up {index!r} in {described} ({_type_name(value)})"
                raise _Failure(message, offset) from exc

        return read

    def slice(self, node: ast.Slice, depth: int) -> Evaluator:
        parts = tuple(
            None if part is None else self.compile(part, depth)
            for part in (node.lower, node.upper, node.step)
        )
        return lambda variables, budget: slice(
            *(None if part is None else part(variables, budget) for part in parts)
        )

    def attribute(self, node: ast.Attribute, depth: int) -> Evaluator:
        name = node.attr
        self.check_name(name, node)
        container = self.compile(node.value, depth)
        offset = self.attribute_offset(node)

        def read(variables: Variables, budget: _Budget) -> Any:
            value = container(variables, budget)
            if isinstance(value, Mapping):
                try:
                    return value[name]
                except KeyError:
                    message = f"{self.describe(node.value)} has no key {name!r}"
                    raise _Failure(message, offset) from None
            described = self.describe(node.value)
            message = (
                f"cannot read '.{name}': {described} is {_type_name(value)}, not a dict"
                if name not in _TEXT_METHODS
                else f"'.{name}' must be called, as in {described}.{name}()"
            )
            raise _Failure(message, offset)

        return read

    def call(self, node: ast.Call, depth: int) -> Evaluator:
        for keyword in node.keywords:
            if keyword.arg is None:
                self.refuse("unpacking with '**' is not allowed", keyword)
            self.check_name(keyword.arg, keyword)
        arguments = tuple(self.compile(argument, depth) for argument in node.args)
        keywords = tuple(
            (keyword.arg or "", self.compile(keyword.value, depth)) for keyword in node.keywords
        )
        offset = self.node_offset(node)
        function = node.func
        if isinstance(function, ast.Name):
            self.check_name(function.id, function)
            if function.id not in _FUNCTIONS:
                allowed = ", ".join(sorted(_FUNCTIONS))
                self.refuse(
                    f"calling {function.id!r} is not allowed (allowed: {allowed})",
                    function,
                )
            name = function.id
            implementation, accepted = _FUNCTIONS[name]
            for keyword_name, _ in keywords:
                if keyword_name not in accepted:
                    self.refuse(f"{name}() does not accept the argument {keyword_name!r}", node)

            def call_function(variables: Variables, budget: _Budget) -> Any:
                positional = [argument(variables, budget) for argument in arguments]
                named = {keyword: value(variables, budget) for keyword, value in keywords}
                try:
                    return implementation(*positional, **named)
                except (TypeError, ValueError, ArithmeticError) as exc:
                    message = str(exc) if str(exc).startswith(f"{name}(") else f"{name}(): {exc}"
                    raise _Failure(message, offset) from exc

            return call_function
        if isinstance(function, ast.Attribute):
            method_name = function.attr
            self.check_name(method_name, function)
            if method_name not in _TEXT_METHODS:
                allowed = ", ".join(sorted(_TEXT_METHODS))
                self.refuse(
                    f"calling the method {method_name!r} is not allowed (allowed: {allowed})",
                    function,
                )
            if keywords:
                self.refuse(f".{method_name}() takes no keyword arguments", node)
            method = _TEXT_METHODS[method_name]
            target = self.compile(function.value, depth)

            def call_method(variables: Variables, budget: _Budget) -> Any:
                value = target(variables, budget)
                positional = [argument(variables, budget) for argument in arguments]
                if not isinstance(value, str):
                    message = f".{method_name}() needs text, not {_type_name(value)}"
                    raise _Failure(message, offset)
                try:
                    return method(value, *positional)
                except (TypeError, ValueError) as exc:
                    raise _Failure(f".{method_name}(): {exc}", offset) from exc

            return call_method
        # What is called may itself be refused (a lambda, say); that is the clearer message.
        self.compile(function, depth)
        allowed = ", ".join(sorted(_FUNCTIONS))
        self.refuse(f"only the functions {allowed} and text methods can be called", node)

    def formatted_text(self, node: ast.JoinedStr, depth: int) -> Evaluator:
        parts: list[tuple[Callable[[Any], str], Evaluator]] = []
        for value in node.values:
            if isinstance(value, ast.FormattedValue):
                if value.format_spec is not None:
                    self.refuse("format specifications in f-strings are not allowed", value)
                conversion = _FORMAT_CONVERSIONS[value.conversion]
                parts.append((conversion, self.compile(value.value, depth)))
            else:
                parts.append((str, self.compile(value, depth)))
        offset = self.node_offset(node)

        def format_text(variables: Variables, budget: _Budget) -> Any:
            values = [(convert, part(variables, budget)) for convert, part in parts]
            try:
                return "".join(convert(value) for convert, value in values)
            except (TypeError, ValueError) as exc:
                raise _Failure(f"cannot format the text: {exc}", offset) from exc

        return format_text


def _unhashable(values: list[Any]) -> str:
    for value in values:
        try:
            hash(value)
        except TypeError:
            return _type_name(value)
    return "value"
