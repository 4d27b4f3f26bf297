"""What every compiled rule offers the engine and the pages: evaluate, and what it reads/writes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol


def bits(mask: int) -> tuple[int, ...]:
    """The positions of the set bits of ``mask``, lowest first."""
    found = []
    while mask:
        low = mask & -mask
        found.append(low.bit_length() - 1)
        mask ^= low
    return tuple(found)


class Evaluation:
    """The outcome of one evaluation.

    ``result`` is a bool for a condition rule; for a decision table a dict of outputs (single
    hit), a list of them (collect, rule order, output order), a number (collect with an
    aggregation) or None (no row matched and no defaults). ``matched`` are the 0-based rows (or
    conditions) that held; ``selected`` the rows whose outputs make the result.
    """

    __slots__ = ("_mask", "result", "selected")

    def __init__(self, result: Any, mask: int, selected: tuple[int, ...]) -> None:
        self.result = result
        self._mask = mask
        self.selected = selected

    @property
    def matched(self) -> tuple[int, ...]:
        return bits(self._mask)

    def as_dict(self) -> dict[str, Any]:
        return {
            "result": self.result,
            "matched": list(self.matched),
            "selected": list(self.selected),
        }

    def __repr__(self) -> str:
        return f"Evaluation({self.result!r}, matched={self.matched}, selected={self.selected})"


class CompiledRule(Protocol):
    """A rule ready to run: compiled once per published version."""

    #: ``condition`` or ``decision_table``.
    kind: str
    #: The case variables the rule reads (top-level names).
    inputs: frozenset[str]
    #: The names of the values a decision table produces (empty for a condition rule).
    outputs: tuple[str, ...]

    def evaluate(self, variables: Mapping[str, Any]) -> Evaluation: ...


class RuleResolver(Protocol):
    """Gives the engine the compiled rule a key names, or None when there is none."""

    def resolve(self, key: str) -> CompiledRule | None: ...


class StaticRules:
    """A resolver over a fixed mapping of key -> compiled rule (tests, ``itinera play``)."""

    def __init__(self, rules: Mapping[str, CompiledRule] | None = None) -> None:
        self.rules = dict(rules or {})

    def resolve(self, key: str) -> CompiledRule | None:
        return self.rules.get(key)
