"""Explicit state machines: one transition table per status field, and its check."""

from __future__ import annotations

from collections.abc import Mapping

from workflow_site.errors import ConflictError


class TransitionTable:
    """The legal moves of one status field; anything not listed is refused with a stable code."""

    def __init__(self, name: str, moves: Mapping[str, frozenset[str]]) -> None:
        self.name = name
        self.moves = dict(moves)

    def allowed(self, current: str, target: str) -> bool:
        return target in self.moves.get(current, frozenset())

    def check(self, current: str, target: str) -> None:
        if not self.allowed(current, target):
            raise ConflictError(
                "illegal_transition",
                f"A {self.name} cannot go from {current!r} to {target!r}.",
                field="status",
                details={"from": current, "to": target},
            )

    def is_final(self, status: str) -> bool:
        return not self.moves.get(status)
