"""ISO-8601 timer definitions of BPMN timer events: when a timer is first due and when again.

Durations (``PT5M``), dates (``2026-03-01T09:00:00Z``) and repeating intervals (``R3/PT10M``).
"""

from __future__ import annotations

import calendar
import math
import re
from dataclasses import dataclass
from datetime import MAXYEAR, UTC, datetime, timedelta
from typing import Final

#: Timer texts are short; the cap keeps number parsing cheap.
MAX_TEXT_LENGTH: Final = 200
MAX_DURATION_YEARS: Final = 10_000
#: A cycle repeating faster than this would flood the scheduler, and below a microsecond would
#: never advance.
MIN_CYCLE_PERIOD_SECONDS: Final = 1.0

_DAYS_PER_YEAR: Final = 365.2425
_SECONDS_PER_DAY: Final = 86_400
_DURATION = re.compile(
    r"P(?:(?P<years>[0-9]+)Y)?(?:(?P<months>[0-9]+)M)?(?:(?P<weeks>[0-9]+)W)?(?:(?P<days>[0-9]+)D)?"
    r"(?:T(?:(?P<hours>[0-9]+)H)?(?:(?P<minutes>[0-9]+)M)?(?:(?P<seconds>[0-9]+(?:[.,][0-9]+)?)S)?)?"
)
_CRON_CHARACTERS = re.compile(r"[*?#]|\s")
_DURATION_EXAMPLES = "such as PT5M, P2D or P1DT12H"
_DATE_EXAMPLES = "such as 2026-03-01T09:00:00Z or 2026-03-01"
_CYCLE_EXAMPLES = "such as R3/PT1H, R/PT10M or R5/2026-01-01T00:00:00Z/P1D"


class TimerError(ValueError):
    """A timer text that is not valid for its kind, or a timer that can never fire."""


@dataclass(frozen=True)
class Duration:
    """An ISO-8601 duration; years and months are calendar months, the rest fixed lengths."""

    years: int = 0
    months: int = 0
    weeks: int = 0
    days: int = 0
    hours: int = 0
    minutes: int = 0
    seconds: float = 0.0

    def __post_init__(self) -> None:
        parts = (self.years, self.months, self.weeks, self.days, self.hours, self.minutes)
        if any(part < 0 for part in parts) or not self.seconds >= 0:
            raise TimerError(f"a duration cannot be negative: {self!r}")

    def add_to(self, moment: datetime) -> datetime:
        """``moment`` plus this duration; a month later than Jan 31 is the last day of February."""
        result = moment
        if self.years or self.months:
            month_index = moment.month - 1 + self.months + 12 * self.years
            year = moment.year + month_index // 12
            month = month_index % 12 + 1
            if year > MAXYEAR:
                raise self._too_late(moment)
            day = min(moment.day, calendar.monthrange(year, month)[1])
            result = moment.replace(year=year, month=month, day=day)
        try:
            return result + timedelta(
                weeks=self.weeks,
                days=self.days,
                hours=self.hours,
                minutes=self.minutes,
                seconds=self.seconds,
            )
        except OverflowError:
            raise self._too_late(moment) from None

    def __str__(self) -> str:
        date_units = ((self.years, "Y"), (self.months, "M"), (self.weeks, "W"), (self.days, "D"))
        seconds = f"{self.seconds:.6f}".rstrip("0").rstrip(".")
        time_units = ((self.hours, "H"), (self.minutes, "M"), (seconds, "S"))
        date_part = "".join(f"{value}{unit}" for value, unit in date_units if value)
        time_part = "".join(f"{value}{unit}" for value, unit in time_units if value not in (0, "0"))
        if not date_part and not time_part:
            return "PT0S"
        return f"P{date_part}" + (f"T{time_part}" if time_part else "")

    def _too_late(self, moment: datetime) -> TimerError:
        return TimerError(f"{moment.isoformat()} plus {self} is after year {MAXYEAR}")

    def total_seconds_approx(self) -> float:
        """Length in seconds, taking a year as 365.2425 days and a month as a twelfth of that."""
        days = (self.years + self.months / 12) * _DAYS_PER_YEAR + self.weeks * 7 + self.days
        return days * _SECONDS_PER_DAY + self.hours * 3600 + self.minutes * 60 + self.seconds

    def times(self, count: int) -> Duration:
        """This duration repeated ``count`` times, so a cycle's n-th due date does not drift."""
        return Duration(
            years=self.years * count,
            months=self.months * count,
            weeks=self.weeks * count,
            days=self.days * count,
            hours=self.hours * count,
            minutes=self.minutes * count,
            seconds=self.seconds * count,
        )


@dataclass(frozen=True)
class Cycle:
    """An ISO-8601 repeating interval: ``repetitions`` is None when unbounded.

    With ``start`` the timer is due at start, start + period, ...; without it at armed + period,
    armed + 2 periods, ... ``end`` stops the repetitions after that moment.
    """

    repetitions: int | None
    period: Duration
    start: datetime | None = None
    end: datetime | None = None


def parse_duration(text: str) -> Duration:
    """Parse ``PnYnMnWnDTnHnMnS``; only the seconds may have a fraction (``PT6.5S``)."""
    value = _clean(text, "duration")
    if re.fullmatch(r"-P.*|P.*-[0-9].*", value):
        raise TimerError(f"the duration {text!r} is negative; timers cannot wait a negative time")
    match = _DURATION.fullmatch(value)
    components = {} if match is None else {k: v for k, v in match.groupdict().items() if v}
    if match is None or not components or value.endswith("T"):
        if re.search(r"[0-9][.,][0-9]+[YMWDH]", value):
            raise TimerError(f"invalid duration {text!r}: only the seconds may have a fraction")
        raise TimerError(f"invalid duration {text!r}: expected ISO-8601 {_DURATION_EXAMPLES}")
    seconds = float(components.pop("seconds", "0").replace(",", "."))
    duration = Duration(seconds=seconds, **{k: int(v) for k, v in components.items()})
    if duration.total_seconds_approx() > MAX_DURATION_YEARS * _DAYS_PER_YEAR * _SECONDS_PER_DAY:
        raise TimerError(f"the duration {text!r} is longer than {MAX_DURATION_YEARS:,} years")
    return duration


def parse_datetime(text: str) -> datetime:
    """Parse an ISO-8601 date and time, or a date (its midnight); no offset given means UTC."""
    value = _clean(text, "date")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise TimerError(
            f"invalid date and time {text!r}: expected ISO-8601 {_DATE_EXAMPLES}"
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def parse_cycle(text: str) -> Cycle:
    """Parse ``Rn/period``, ``Rn/start/period`` or ``Rn/period/end``; ``R/...`` is unbounded."""
    value = _clean(text, "cycle")
    if not value.startswith("R") and _CRON_CHARACTERS.search(value):
        raise TimerError(
            f"invalid cycle {text!r}: cron expressions are not supported; "
            "use ISO-8601 repeating intervals such as R3/PT1H"
        )
    parts = value.split("/")
    repeat = re.fullmatch(r"R([0-9]*)", parts[0])
    if repeat is None or len(parts) not in (2, 3):
        raise TimerError(
            f"invalid cycle {text!r}: expected an ISO-8601 repeating interval {_CYCLE_EXAMPLES}"
        )
    repetitions = int(repeat.group(1)) if repeat.group(1) else None
    if repetitions == 0:
        raise TimerError(f"the cycle {text!r} repeats 0 times, so it would never fire")
    start = end = None
    try:
        if len(parts) == 2:
            period = parse_duration(parts[1])
        elif parts[1].startswith("P"):
            period, end = parse_duration(parts[1]), parse_datetime(parts[2])
        elif parts[2].startswith("P"):
            start, period = parse_datetime(parts[1]), parse_duration(parts[2])
        else:
            raise TimerError(f"give the period as a duration {_CYCLE_EXAMPLES}")
    except TimerError as exc:
        raise TimerError(f"invalid cycle {text!r}: {exc}") from None
    if period.total_seconds_approx() < MIN_CYCLE_PERIOD_SECONDS:
        raise TimerError(f"the period of the cycle {text!r} is shorter than one second")
    return Cycle(repetitions, period, start, end)


def first_due(kind: str, text: str, armed_at: datetime) -> datetime:
    """When a timer armed at ``armed_at`` fires first; a date in the past is due at once.

    Raises TimerError for a cycle whose occurrences all lie before ``armed_at``.
    """
    armed_at = _aware(armed_at)
    if kind == "duration":
        return parse_duration(text).add_to(armed_at)
    if kind == "date":
        return parse_datetime(text)
    if kind == "cycle":
        due = _occurrence_after(parse_cycle(text), armed_at, armed_at, inclusive=True)
        if due is None:
            raise TimerError(f"the cycle {text!r} has no occurrence after {armed_at.isoformat()}")
        return due
    raise _unknown_kind(kind)


def next_due(
    kind: str, text: str, armed_at: datetime, fired: int, last_due: datetime
) -> datetime | None:
    """When the timer fires again after firing ``fired`` times, last due at ``last_due``.

    None when it does not: duration and date timers fire once, and a cycle stops after its
    repetitions or its end.
    """
    if kind in ("duration", "date"):
        return None
    if kind != "cycle":
        raise _unknown_kind(kind)
    cycle = parse_cycle(text)
    if cycle.repetitions is not None and fired >= cycle.repetitions:
        return None
    return _occurrence_after(cycle, _aware(armed_at), _aware(last_due), inclusive=False)


def check_timer(kind: str, text: str) -> None:
    """Raise TimerError unless ``text`` is a valid timer definition of ``kind``."""
    if kind == "duration":
        parse_duration(text)
    elif kind == "date":
        parse_datetime(text)
    elif kind == "cycle":
        parse_cycle(text)
    else:
        raise _unknown_kind(kind)


def _clean(text: str, kind: str) -> str:
    value = text.strip().upper()
    if not value:
        raise TimerError(f"the timer {kind} is empty")
    if len(value) > MAX_TEXT_LENGTH:
        raise TimerError(
            f"the timer {kind} {text[:40]!r}... is longer than {MAX_TEXT_LENGTH} characters"
        )
    return value


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _unknown_kind(kind: str) -> TimerError:
    return TimerError(f"unknown timer kind {kind!r}; expected duration, date or cycle")


def _occurrence_after(
    cycle: Cycle, armed_at: datetime, moment: datetime, *, inclusive: bool
) -> datetime | None:
    """The cycle's first occurrence after ``moment`` (or at it, when ``inclusive``), if any."""
    anchor, first = (cycle.start, 0) if cycle.start is not None else (armed_at, 1)
    last = None if cycle.repetitions is None else first + cycle.repetitions - 1

    def occurrence(index: int) -> datetime | None:
        try:
            return cycle.period.times(index).add_to(anchor)
        except TimerError:
            return None

    def reached(index: int) -> bool:
        due = occurrence(index)
        # Past year 9999 counts as reached, so the search stops there.
        return due is None or due > moment or (inclusive and due == moment)

    # Start near the answer: a month's real length differs from its average by a few days only.
    elapsed = (moment - anchor).total_seconds()
    index = max(first, math.floor(elapsed / cycle.period.total_seconds_approx()))
    while index > first and reached(index - 1):
        index -= 1
    while not reached(index):
        index += 1
    if last is not None and index > last:
        return None
    due = occurrence(index)
    if due is None or (cycle.end is not None and due > cycle.end):
        return None
    return due
