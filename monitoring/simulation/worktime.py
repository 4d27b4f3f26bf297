"""Working time for the simulation: a weekly calendar on a clock of seconds.

Simulation time 0 is Monday 00:00 UTC. A ``WeekCalendar`` is a calendar's working periods turned
into seconds of the week (shifted by the calendar zone's offset from UTC at a reference moment),
so that "how much working time lies before t" and "when will d working seconds have passed
since t" are a division and a bisection, fast enough to call for every simulated task. Holidays
and daylight-saving changes are not simulated.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt

from monitoring.calendars import MINUTES_PER_DAY, WorkingCalendar

WEEK = 7 * 24 * 3600.0
DAY = 24 * 3600.0


@dataclass(frozen=True)
class WeekCalendar:
    """Working intervals ``(start, end)`` in seconds of the week, sorted, not overlapping."""

    intervals: tuple[tuple[float, float], ...]
    name: str = ""

    def __post_init__(self) -> None:
        if not self.intervals:
            raise ValueError("a working calendar needs at least one working period")
        previous = 0.0
        for start, end in self.intervals:
            if not (previous <= start < end <= WEEK):
                raise ValueError("working intervals must be sorted, disjoint and within the week")
            previous = end
        starts = [start for start, _ in self.intervals]
        ends = [end for _, end in self.intervals]
        cumulative = [0.0]
        for start, end in self.intervals:
            cumulative.append(cumulative[-1] + end - start)
        object.__setattr__(self, "_starts", starts)
        object.__setattr__(self, "_ends", ends)
        object.__setattr__(self, "_cumulative", cumulative)

    @property
    def weekly(self) -> float:
        """Working seconds in one week."""
        cumulative: list[float] = self._cumulative  # type: ignore[attr-defined]
        return cumulative[-1]

    def working_before(self, moment: float) -> float:
        """Working seconds in [0, moment)."""
        weeks, rest = divmod(moment, WEEK)
        ends: list[float] = self._ends  # type: ignore[attr-defined]
        starts: list[float] = self._starts  # type: ignore[attr-defined]
        cumulative: list[float] = self._cumulative  # type: ignore[attr-defined]
        k = bisect_right(starts, rest) - 1
        within = 0.0 if k < 0 else cumulative[k] + min(rest, ends[k]) - starts[k]
        return weeks * cumulative[-1] + within

    def working_before_many(self, moments: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """``working_before`` of every moment (vectorized)."""
        moments = np.asarray(moments, dtype=np.float64)
        weeks, rest = np.divmod(moments, WEEK)
        starts = np.asarray(self._starts)  # type: ignore[attr-defined]
        ends = np.asarray(self._ends)  # type: ignore[attr-defined]
        cumulative = np.asarray(self._cumulative)  # type: ignore[attr-defined]
        k = np.searchsorted(starts, rest, side="right") - 1
        safe = np.maximum(k, 0)
        within = cumulative[safe] + np.minimum(rest, ends[safe]) - starts[safe]
        within = np.where(k < 0, 0.0, within)
        result: npt.NDArray[np.float64] = weeks * cumulative[-1] + within
        return result

    def next_working(self, moment: float) -> float:
        """``moment`` if it is working time, else the start of the next working period."""
        weeks, rest = divmod(moment, WEEK)
        starts: list[float] = self._starts  # type: ignore[attr-defined]
        ends: list[float] = self._ends  # type: ignore[attr-defined]
        k = bisect_right(starts, rest) - 1
        if k >= 0 and rest < ends[k]:
            return moment
        if k + 1 < len(starts):
            return weeks * WEEK + starts[k + 1]
        return (weeks + 1) * WEEK + starts[0]

    def add_working(self, moment: float, seconds: float) -> float:
        """The moment when ``seconds`` of working time have passed since ``moment``; an amount
        that ends exactly at the end of a working period ends there."""
        if seconds <= 0:
            return moment
        target = self.working_before(moment) + seconds
        cumulative: list[float] = self._cumulative  # type: ignore[attr-defined]
        starts: list[float] = self._starts  # type: ignore[attr-defined]
        weekly = cumulative[-1]
        weeks, rest = divmod(target, weekly)
        if rest == 0:
            weeks -= 1
            rest = weekly
        # The interval k with cumulative[k] < rest <= cumulative[k + 1].
        k = bisect_left(cumulative, rest) - 1
        return weeks * WEEK + starts[k] + (rest - cumulative[k])


def week_calendar(
    calendar: WorkingCalendar, *, reference: datetime | None = None
) -> WeekCalendar | None:
    """A business calendar as a ``WeekCalendar`` on the UTC clock (None when it works round the
    clock, which needs no calendar). ``reference`` fixes the zone's offset (now by default)."""
    if calendar.round_the_clock:
        return None
    moment = reference or datetime.now(UTC)
    offset = moment.astimezone(calendar.tz).utcoffset()
    shift = offset.total_seconds() if offset is not None else 0.0
    pieces: list[tuple[float, float]] = []
    for weekday, periods in enumerate(calendar.periods):
        for start, end in periods:
            begin = (weekday * MINUTES_PER_DAY + start) * 60.0 - shift
            finish = (weekday * MINUTES_PER_DAY + end) * 60.0 - shift
            for low, high in _wrapped(begin, finish):
                pieces.append((low, high))
    if not pieces:
        raise ValueError(f"the calendar {calendar.zone} has no working time")
    return WeekCalendar(tuple(_merged(sorted(pieces))))


def _wrapped(begin: float, finish: float) -> list[tuple[float, float]]:
    """An interval moved into [0, WEEK), split where it crosses the week's edge."""
    begin, finish = begin % WEEK, begin % WEEK + (finish - begin)
    if finish <= WEEK:
        return [(begin, finish)]
    return [(begin, WEEK), (0.0, finish - WEEK)]


def _merged(pieces: list[tuple[float, float]]) -> list[tuple[float, float]]:
    merged: list[tuple[float, float]] = []
    for start, end in pieces:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def office_hours(start_hour: float = 9, end_hour: float = 17, days: int = 5) -> WeekCalendar:
    """Monday to Friday (or the first ``days`` weekdays), ``start_hour`` to ``end_hour`` UTC."""
    return WeekCalendar(
        tuple((d * DAY + start_hour * 3600, d * DAY + end_hour * 3600) for d in range(days))
    )
