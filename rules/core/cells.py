"""Decision-table input cells: a FEEL-like subset of DMN unary tests, parsed once per version.

A cell is ``-`` (or empty: anything matches), a comma-separated list of tests any of which may
match, or ``not(tests)`` (matches whenever the tests do not). A test is a comparison
(``< 5``, ``<= 5``, ``> 5``, ``>= 5``, ``= 5``, ``!= 5``), an interval (``[1..10]``, ``[1..10)``,
``(1..10]``, ``]1..10[``, open-ended ``[500000..]`` or ``[..100]``), or a value (``"gold"``,
``620``, ``true``, ``null``). An endpoint is a literal or the name of a case variable
(``< limit``, ``>= applicant.minimum``). Values of different kinds never match each other:
``1`` does not match ``true`` nor ``"1"``; ordering needs two numbers or two texts.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from rules.core.errors import CellSyntaxError

NUMBER_TYPES: Final = (int, float, Decimal)
_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<range>\.\.)
  | (?P<op><=|>=|!=|<|>|=)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
  | (?P<punct>[\[\]\(\),\-])
    """,
    re.VERBOSE,
)
_ESCAPES: Final = {'"': '"', "\\": "\\", "n": "\n", "t": "\t", "r": "\r", "/": "/"}
_KEYWORDS: Final[Mapping[str, Any]] = {"true": True, "false": False, "null": None}


def is_number(value: Any) -> bool:
    """A number for the rules: int, float or Decimal, never a bool."""
    return isinstance(value, NUMBER_TYPES) and not isinstance(value, bool)


def same_kind(left: Any, right: Any) -> bool:
    """Whether two values may be compared: both numbers, both texts, both bools or both null."""
    if is_number(left):
        return is_number(right)
    if isinstance(left, str):
        return isinstance(right, str)
    if isinstance(left, bool):
        return isinstance(right, bool)
    if left is None:
        return right is None
    return type(left) is type(right)


def equal(left: Any, right: Any) -> bool:
    """Equality without Python's cross-kind surprises (``True == 1``)."""
    return same_kind(left, right) and bool(left == right)


def ordered(left: Any, right: Any) -> bool:
    """Whether ``left`` and ``right`` can be put in order: two numbers or two texts."""
    return (is_number(left) and is_number(right)) or (
        isinstance(left, str) and isinstance(right, str)
    )


def read_path(variables: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    """The value at a dotted path in the case data; a missing key anywhere is null."""
    value: Any = variables.get(path[0])
    for part in path[1:]:
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


@dataclass(frozen=True)
class Endpoint:
    """A literal (``path`` None) or the case variable at ``path``."""

    value: Any = None
    path: tuple[str, ...] | None = None

    @property
    def is_literal(self) -> bool:
        return self.path is None

    def resolve(self, variables: Mapping[str, Any]) -> Any:
        return self.value if self.path is None else read_path(variables, self.path)

    def text(self) -> str:
        if self.path is not None:
            return ".".join(self.path)
        return literal_text(self.value)


@dataclass(frozen=True)
class Atom:
    """One test: ``kind`` is ``eq`` (``low`` is the value) or ``range`` (either end may be open)."""

    kind: str
    low: Endpoint | None = None
    low_closed: bool = True
    high: Endpoint | None = None
    high_closed: bool = True

    @property
    def is_literal(self) -> bool:
        return (self.low is None or self.low.is_literal) and (
            self.high is None or self.high.is_literal
        )

    def names(self) -> set[str]:
        return {end.path[0] for end in (self.low, self.high) if end is not None and end.path}

    def matches(self, value: Any, variables: Mapping[str, Any]) -> bool:
        if self.kind == "eq":
            return self.low is not None and equal(value, self.low.resolve(variables))
        if value is None or value != value:  # null and NaN are in no interval
            return False
        if self.low is not None:
            low = self.low.resolve(variables)
            if not ordered(value, low):
                return False
            if value < low or (value == low and not self.low_closed):
                return False
        if self.high is not None:
            high = self.high.resolve(variables)
            if not ordered(value, high):
                return False
            if value > high or (value == high and not self.high_closed):
                return False
        return True


@dataclass(frozen=True)
class UnaryTests:
    """A parsed cell: anything (``any``), or ``atoms`` any of which matches, maybe negated."""

    source: str
    any: bool = False
    negated: bool = False
    atoms: tuple[Atom, ...] = ()

    def matches(self, value: Any, variables: Mapping[str, Any]) -> bool:
        """The reference semantics; the table index must agree with it."""
        if self.any:
            return True
        hit = any(atom.matches(value, variables) for atom in self.atoms)
        return not hit if self.negated else hit

    def names(self) -> set[str]:
        found: set[str] = set()
        for atom in self.atoms:
            found |= atom.names()
        return found


def literal_text(value: Any) -> str:
    """A value written the way a cell would write it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        return f'"{escaped}"'
    return str(value)


class _Tokens:
    def __init__(self, text: str) -> None:
        self.text = text
        self.items: list[tuple[str, str, int]] = []
        position = 0
        while position < len(text):
            match = _TOKEN.match(text, position)
            if match is None:
                raise CellSyntaxError(f"unexpected character {text[position]!r}", position)
            kind = match.lastgroup or ""
            if kind != "space":
                self.items.append((kind, match.group(), position))
            position = match.end()
        self.index = 0

    def peek(self, offset: int = 0) -> tuple[str, str, int]:
        at = self.index + offset
        if at < len(self.items):
            return self.items[at]
        return ("end", "", len(self.text))

    def next(self) -> tuple[str, str, int]:
        token = self.peek()
        self.index += 1
        return token

    def expect(self, value: str, what: str) -> None:
        kind, text, position = self.next()
        if text != value or kind in ("string", "end"):
            found = "the end of the cell" if kind == "end" else repr(text)
            raise CellSyntaxError(f"expected {what}, found {found}", position)


def _string_value(token: str, position: int) -> str:
    out: list[str] = []
    body = token[1:-1]
    index = 0
    while index < len(body):
        character = body[index]
        if character == "\\":
            escaped = body[index + 1] if index + 1 < len(body) else ""
            if escaped not in _ESCAPES:
                raise CellSyntaxError(f"unknown escape \\{escaped}", position + index + 1)
            out.append(_ESCAPES[escaped])
            index += 2
            continue
        out.append(character)
        index += 1
    return "".join(out)


def _number_value(text: str) -> int | float:
    if re.fullmatch(r"\d+", text):
        return int(text)
    return float(text)


def _endpoint(tokens: _Tokens) -> Endpoint:
    found = _optional_endpoint(tokens)
    if found is None:
        kind, text, position = tokens.peek()
        shown = "the end of the cell" if kind == "end" else repr(text)
        raise CellSyntaxError(f"expected a value, found {shown}", position)
    return found


def _optional_endpoint(tokens: _Tokens) -> Endpoint | None:
    kind, text, position = tokens.peek()
    if kind == "punct" and text == "-" and tokens.peek(1)[0] == "number":
        tokens.next()
        _, number, _ = tokens.next()
        return Endpoint(-_number_value(number))
    if kind == "number":
        tokens.next()
        return Endpoint(_number_value(text))
    if kind == "string":
        tokens.next()
        return Endpoint(_string_value(text, position))
    if kind == "name":
        tokens.next()
        if text in _KEYWORDS:
            return Endpoint(_KEYWORDS[text])
        if text == "not" or text.split(".")[0] in _KEYWORDS:
            raise CellSyntaxError(f"{text!r} cannot be used as a value here", position)
        return Endpoint(None, tuple(text.split(".")))
    return None


def _interval(tokens: _Tokens) -> Atom:
    _, opening, position = tokens.next()
    low_closed = opening == "["
    low = _optional_endpoint(tokens)
    kind, text, at = tokens.next()
    if kind != "range":
        found = "the end of the cell" if kind == "end" else repr(text)
        raise CellSyntaxError(f"expected '..' in the interval, found {found}", at)
    high = _optional_endpoint(tokens)
    kind, closing, at = tokens.next()
    if closing not in ("]", ")", "[") or kind != "punct":
        found = "the end of the cell" if kind == "end" else repr(closing)
        raise CellSyntaxError(f"expected ']', ')' or '[' to close the interval, found {found}", at)
    high_closed = closing == "]"
    if low is None and high is None:
        raise CellSyntaxError("an interval needs at least one end", position)
    for end in (low, high):
        if (
            end is not None
            and end.is_literal
            and not (is_number(end.value) or isinstance(end.value, str))
        ):
            raise CellSyntaxError(
                f"an interval end must be a number or a text, not {end.text()}", position
            )
    if (
        low is not None
        and high is not None
        and low.is_literal
        and high.is_literal
        and ordered(low.value, high.value)
        and low.value > high.value
    ):
        raise CellSyntaxError(
            f"the interval is empty: {low.text()} is greater than {high.text()}", position
        )
    if (
        low is not None
        and high is not None
        and low.is_literal
        and high.is_literal
        and not ordered(low.value, high.value)
    ):
        raise CellSyntaxError("the ends of an interval must be of the same kind", position)
    return Atom("range", low, low_closed, high, high_closed)


def _test(tokens: _Tokens) -> tuple[Atom, bool]:
    """One test; the flag says it was ``!= x`` (a negated equality)."""
    kind, text, position = tokens.peek()
    if kind == "op":
        tokens.next()
        endpoint = _endpoint(tokens)
        if text in ("=", "!="):
            return Atom("eq", endpoint), text == "!="
        if endpoint.is_literal and not (
            is_number(endpoint.value) or isinstance(endpoint.value, str)
        ):
            raise CellSyntaxError(
                f"{text} needs a number or a text, not {endpoint.text()}", position
            )
        if text == "<":
            return Atom("range", high=endpoint, high_closed=False), False
        if text == "<=":
            return Atom("range", high=endpoint, high_closed=True), False
        if text == ">":
            return Atom("range", low=endpoint, low_closed=False), False
        return Atom("range", low=endpoint, low_closed=True), False
    if kind == "punct" and text in ("[", "(", "]"):
        return _interval(tokens), False
    return Atom("eq", _endpoint(tokens)), False


def _test_list(tokens: _Tokens) -> tuple[tuple[Atom, ...], bool]:
    atoms: list[Atom] = []
    negations: list[bool] = []
    while True:
        atom, negated = _test(tokens)
        atoms.append(atom)
        negations.append(negated)
        if tokens.peek()[1] == "," and tokens.peek()[0] == "punct":
            tokens.next()
            continue
        break
    if any(negations):
        if len(atoms) > 1:
            _, _, position = tokens.peek()
            raise CellSyntaxError(
                "'!=' cannot be combined with other tests; write not(a, b) instead", 0
            )
        return tuple(atoms), True
    return tuple(atoms), False


def parse_cell(text: str) -> UnaryTests:
    """Parse an input cell; raises CellSyntaxError with the offset of the problem."""
    source = text if isinstance(text, str) else str(text)
    stripped = source.strip()
    if stripped in ("", "-"):
        return UnaryTests(source, any=True)
    tokens = _Tokens(source)
    kind, word, _ = tokens.peek()
    negated = False
    if kind == "name" and word == "not" and tokens.peek(1)[1] == "(":
        tokens.next()
        tokens.next()
        atoms, inner_negated = _test_list(tokens)
        if inner_negated:
            raise CellSyntaxError("'!=' cannot be used inside not(...)", 0)
        tokens.expect(")", "')' to close not(")
        negated = True
    else:
        atoms, negated = _test_list(tokens)
    kind, rest, position = tokens.peek()
    if kind != "end":
        if rest in ("and", "or"):
            message = f"{rest!r} is not allowed in a cell; separate tests with ',' (any of them)"
        else:
            message = f"unexpected {rest!r}; separate tests with ','"
        raise CellSyntaxError(message, position)
    return UnaryTests(source, negated=negated, atoms=atoms)


def parse_literal(text: str) -> Any:
    """A literal value (an output cell): a number, a quoted text, true, false or null."""
    tokens = _Tokens(text)
    endpoint = _endpoint(tokens)
    if not endpoint.is_literal:
        raise CellSyntaxError("expected a literal value", 0)
    kind, rest, position = tokens.peek()
    if kind != "end":
        raise CellSyntaxError(f"unexpected {rest!r} after the value", position)
    return endpoint.value


Predicate = Callable[[Any, Mapping[str, Any]], bool]
