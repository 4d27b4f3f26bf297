"""How long a simulated step takes: a distribution of working seconds, and where it came from."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Final, Literal

import numpy as np
import numpy.typing as npt

DistributionKind = Literal["fixed", "exponential", "lognormal", "empirical"]
KINDS: Final = ("fixed", "exponential", "lognormal", "empirical")
#: Where a duration came from: the element's completed tasks, its itn:expectedDuration (or a
#: timer's duration), the scenario, or nothing known (the step takes no time).
SOURCES: Final = ("history", "expectedDuration", "timer", "scenario", "none")
#: The coefficient of variation of a log-normal when none is given: people's work varies.
DEFAULT_CV: Final = 0.5


@dataclass(frozen=True)
class DurationSpec:
    """A distribution of durations in seconds. ``mean`` is the mean (fixed: the value);
    ``cv`` the log-normal's coefficient of variation; ``values`` the empirical sample."""

    kind: DistributionKind = "fixed"
    mean: float = 0.0
    cv: float = DEFAULT_CV
    values: tuple[float, ...] = ()
    source: str = "none"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown distribution {self.kind!r}")
        if not math.isfinite(self.mean) or self.mean < 0:
            raise ValueError("a mean duration is a finite number of seconds, at least 0")
        if not math.isfinite(self.cv) or self.cv < 0:
            raise ValueError("a coefficient of variation is at least 0")
        if self.kind == "empirical":
            if not self.values:
                raise ValueError("an empirical distribution needs observed values")
            if any(not math.isfinite(value) or value < 0 for value in self.values):
                raise ValueError("observed durations are finite and at least 0")
            object.__setattr__(self, "mean", float(np.mean(self.values)))

    def sample(self, rng: np.random.Generator, size: int) -> npt.NDArray[np.float64]:
        if self.kind == "fixed" or self.mean == 0 and self.kind != "empirical":
            return np.full(size, self.mean, dtype=np.float64)
        if self.kind == "exponential":
            return rng.exponential(self.mean, size)
        if self.kind == "lognormal":
            if self.cv == 0:
                return np.full(size, self.mean, dtype=np.float64)
            sigma2 = math.log1p(self.cv * self.cv)
            mu = math.log(self.mean) - sigma2 / 2
            return rng.lognormal(mu, math.sqrt(sigma2), size)
        values = np.asarray(self.values, dtype=np.float64)
        return values[rng.integers(0, values.size, size)]

    def scaled(self, factor: float) -> DurationSpec:
        """The same shape, every duration multiplied by ``factor``."""
        if factor == 1:
            return self
        if self.kind == "empirical":
            return replace(self, values=tuple(value * factor for value in self.values))
        return replace(self, mean=self.mean * factor)

    def summary(self) -> dict[str, object]:
        return {
            "distribution": self.kind,
            "mean": round(self.mean, 3),
            "cv": self.cv if self.kind == "lognormal" else None,
            "samples": len(self.values) if self.kind == "empirical" else None,
            "source": self.source,
        }
