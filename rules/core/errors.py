"""What can go wrong with a rule: a definition that does not compile, or a failed evaluation."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a rule definition.

    ``path`` names the part at fault the way the API's ``field`` does (``rules[2].inputs[0]``,
    ``conditions[1].value``); ``offset`` is the 0-based character offset inside that part's text
    when the problem is a syntax error, else None.
    """

    path: str
    message: str
    offset: int | None = None

    def as_dict(self) -> dict[str, str | int | None]:
        return {"path": self.path, "message": self.message, "offset": self.offset}


class RuleDefinitionError(ValueError):
    """The definition cannot be compiled; ``problems`` lists every problem found, in order."""

    def __init__(self, problems: list[Problem]) -> None:
        first = problems[0] if problems else Problem("", "the rule is invalid")
        super().__init__(f"{first.path}: {first.message}" if first.path else first.message)
        self.problems = problems


class RuleError(ValueError):
    """Evaluating a rule failed (an expression error, a data error)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class HitPolicyViolation(RuleError):
    """More rows matched than the table's hit policy allows; ``rows`` are their 0-based indexes."""

    def __init__(self, message: str, rows: tuple[int, ...]) -> None:
        super().__init__(message)
        self.rows = rows


class CellSyntaxError(ValueError):
    """A cell's text is not a unary test or literal; ``offset`` is where the text goes wrong."""

    def __init__(self, message: str, offset: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset
