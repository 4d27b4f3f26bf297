"""Business time: working hours per weekday in a time zone, minus holidays.

Pure arithmetic on aware datetimes (no Django): how many working seconds lie between two moments,
and which moment is a number of working seconds after another. Working periods are wall-clock
times of the calendar's zone, so a working day that contains a daylight-saving change is an hour
shorter or longer in absolute time, exactly as the clock on the office wall says.

An SLA duration is turned into working seconds by :func:`business_seconds`: hours, minutes and
seconds are working time as they are; a day (``D``) is the calendar's business day length (8 hours
by default; 24 hours on the round-the-clock calendar); a week (``W``) is as many business days as
the calendar has working weekdays. Months and years have no fixed length in working time and are
refused.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from processes.engine.timers import Duration, TimerError, parse_duration

MINUTES_PER_DAY: Final = 24 * 60
#: A calendar whose working time cannot be found within this many days of a moment is refused
#: when an SLA runs on it (a deadline would never come).
SEARCH_DAYS: Final = 3 * 366
WEEKDAY_NAMES: Final = (
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
)


class CalendarError(ValueError):
    """A calendar or an SLA text that cannot be used; ``field`` names the part at fault."""

    def __init__(self, message: str, *, field: str = "calendar") -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class WorkingCalendar:
    """When work happens: ``periods[weekday]`` lists (start, end) minutes after local midnight
    (Monday is 0; an end of 1440 is midnight at the end of the day), ``holidays`` are local
    dates without work, ``day_hours`` the length of one business day."""

    zone: str = "UTC"
    periods: tuple[tuple[tuple[int, int], ...], ...] = ((),) * 7
    holidays: frozenset[date] = field(default_factory=frozenset)
    day_hours: float = 8.0

    def __post_init__(self) -> None:
        check_zone(self.zone)
        if len(self.periods) != 7:
            raise CalendarError("Give working periods for each of the seven weekdays.")
        for weekday, periods in enumerate(self.periods):
            previous_end = 0
            for start, end in sorted(periods):
                if not 0 <= start < end <= MINUTES_PER_DAY:
                    raise CalendarError(
                        f"{WEEKDAY_NAMES[weekday]}: a working period must start before it ends, "
                        "within the day.",
                        field="periods",
                    )
                if start < previous_end:
                    raise CalendarError(
                        f"{WEEKDAY_NAMES[weekday]}: working periods overlap.", field="periods"
                    )
                previous_end = end
        if not 0 < self.day_hours <= 24:
            raise CalendarError(
                "A business day is longer than 0 and at most 24 hours.", field="day_hours"
            )

    @property
    def tz(self) -> ZoneInfo:
        return _zone(self.zone)

    @property
    def round_the_clock(self) -> bool:
        return not self.holidays and all(p == ((0, MINUTES_PER_DAY),) for p in self.periods)

    @property
    def working_weekdays(self) -> int:
        return sum(1 for periods in self.periods if periods)

    def as_dict(self) -> dict[str, Any]:
        return {
            "zone": self.zone,
            "periods": [[list(period) for period in day] for day in self.periods],
            "holidays": sorted(day.isoformat() for day in self.holidays),
            "day_hours": self.day_hours,
        }

    def intervals(self, moment: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Working intervals in UTC, in order, from the local day of ``moment`` onwards (the
        first may end before ``moment``)."""
        tz = self.tz
        day = moment.astimezone(tz).date()
        for offset in range(SEARCH_DAYS):
            current = day + timedelta(days=offset)
            if current in self.holidays:
                continue
            for start, end in self.periods[current.weekday()]:
                yield _instant(current, start, tz), _instant(current, end, tz)

    def intervals_backwards(self, moment: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Working intervals in UTC, latest first, from the local day of ``moment`` backwards."""
        tz = self.tz
        day = moment.astimezone(tz).date()
        for offset in range(SEARCH_DAYS):
            current = day - timedelta(days=offset)
            if current in self.holidays:
                continue
            for start, end in reversed(self.periods[current.weekday()]):
                yield _instant(current, start, tz), _instant(current, end, tz)


def check_zone(name: str) -> None:
    if not isinstance(name, str) or not name or name not in _zone_names():
        raise CalendarError(
            f"{name!r} is not a known time zone (e.g. Europe/Berlin).", field="zone"
        )


@lru_cache(maxsize=1)
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones()) | {"UTC"}


@lru_cache(maxsize=256)
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise CalendarError(f"{name!r} is not a known time zone.", field="zone") from error


def _instant(day: date, minutes: int, tz: ZoneInfo) -> datetime:
    """The absolute moment (UTC) of the wall-clock time ``minutes`` after local midnight.

    A wall-clock time the clocks skip (spring forward) is read with the offset before the change
    (02:30 becomes 03:30); a time that happens twice (fall back) is its first occurrence.
    """
    local = datetime.combine(day, time(0)) + timedelta(minutes=minutes)
    return local.replace(tzinfo=tz).astimezone(UTC)


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise CalendarError("Business time needs aware datetimes.", field="moment")
    return moment.astimezone(UTC)


#: Work at every moment: elapsed time is business time and a day is 24 hours.
ROUND_THE_CLOCK: Final = WorkingCalendar(
    zone="UTC", periods=(((0, MINUTES_PER_DAY),),) * 7, day_hours=24.0
)


def add_business_seconds(calendar: WorkingCalendar, start: datetime, seconds: float) -> datetime:
    """The moment when ``seconds`` of working time have passed since ``start`` (UTC).

    Zero seconds from outside working hours is ``start`` itself; a positive amount that ends
    exactly at the end of a working period ends there (not at the start of the next one).
    """
    start = _aware(start)
    if seconds <= 0:
        return start
    if calendar.round_the_clock:
        return start + timedelta(seconds=seconds)
    remaining = timedelta(seconds=seconds)
    for begin, end in calendar.intervals(start):
        if end <= start:
            continue
        begin = max(begin, start)
        available = end - begin
        if remaining <= available:
            return begin + remaining
        remaining -= available
    raise CalendarError(
        f"The calendar has too little working time to fit {seconds:.0f} working seconds "
        f"within {SEARCH_DAYS} days.",
        field="periods",
    )


def business_seconds_between(calendar: WorkingCalendar, start: datetime, end: datetime) -> float:
    """Working seconds in [start, end); negative when ``end`` is before ``start``."""
    start, end = _aware(start), _aware(end)
    if end < start:
        return -business_seconds_between(calendar, end, start)
    if calendar.round_the_clock:
        return (end - start).total_seconds()
    total = timedelta(0)
    for begin, finish in calendar.intervals(start):
        if begin >= end:
            break
        overlap = min(finish, end) - max(begin, start)
        if overlap > timedelta(0):
            total += overlap
    return total.total_seconds()


def business_seconds(calendar: WorkingCalendar, duration: Duration) -> float:
    """Working seconds of an SLA duration on this calendar (see the module docstring)."""
    if duration.years or duration.months:
        raise CalendarError(
            f"{duration} has months or years, which have no fixed length in working time; "
            "give the SLA in weeks, days or hours.",
            field="sla",
        )
    day = calendar.day_hours * 3600
    week = calendar.working_weekdays * day
    return (
        duration.weeks * week
        + duration.days * day
        + duration.hours * 3600
        + duration.minutes * 60
        + duration.seconds
    )


@dataclass(frozen=True)
class SlaSpec:
    """What the BPMN asks: the target and the warning point in working seconds on a calendar,
    the message that stops the clock (``itn:slaPauseOn``) and the escalation actions."""

    seconds: float
    warn_seconds: float
    pause_on: str = ""
    escalation: tuple[str, ...] = ()


#: What ``itn:escalation`` may ask for, in the order the actions are taken.
ESCALATION_ACTIONS: Final = ("raise-priority", "reassign-manager", "reassign-role", "notify")
DEFAULT_ESCALATION: Final = ("notify",)
DEFAULT_WARN_FRACTION: Final = 0.8


@lru_cache(maxsize=1024)
def _duration(text: str) -> Duration:
    return parse_duration(text)


def parse_escalation(text: str | None) -> tuple[str, ...]:
    """``itn:escalation``: actions separated by spaces, commas or ``|`` (``notify`` if empty)."""
    if not text or not text.strip():
        return DEFAULT_ESCALATION
    wanted = {part for part in text.replace(",", " ").replace("|", " ").split() if part}
    unknown = sorted(wanted - set(ESCALATION_ACTIONS))
    if unknown:
        raise CalendarError(
            f"Unknown escalation action(s) {', '.join(unknown)}; use "
            f"{', '.join(ESCALATION_ACTIONS)}.",
            field="escalation",
        )
    if {"reassign-manager", "reassign-role"} <= wanted:
        raise CalendarError(
            "Reassign to the manager or to the role queue, not both.", field="escalation"
        )
    return tuple(action for action in ESCALATION_ACTIONS if action in wanted)


def sla_spec(
    attributes: Mapping[str, str], calendar: WorkingCalendar, *, escalation: bool = True
) -> SlaSpec | None:
    """The SLA of an element from its ``itn:`` attributes, or None when it has none.

    ``itn:warnAt`` is a fraction of the target (``0.8``) or a duration from the start; without
    it the warning comes at 80 % of the target. Raises CalendarError naming the attribute.
    """
    text = attributes.get("sla")
    if not text:
        return None
    try:
        seconds = business_seconds(calendar, _duration(text.strip()))
    except TimerError as error:
        raise CalendarError(f"itn:sla: {error}", field="sla") from None
    if seconds <= 0:
        raise CalendarError("itn:sla must be longer than zero.", field="sla")
    warn_text = (attributes.get("warnAt") or "").strip()
    warn = seconds * DEFAULT_WARN_FRACTION
    if warn_text:
        warn = _warn_seconds(warn_text, seconds, calendar)
    actions = parse_escalation(attributes.get("escalation")) if escalation else ()
    return SlaSpec(
        seconds=seconds,
        warn_seconds=warn,
        pause_on=(attributes.get("slaPauseOn") or "").strip(),
        escalation=actions,
    )


def _warn_seconds(text: str, target: float, calendar: WorkingCalendar) -> float:
    if text.upper().startswith("P"):
        try:
            warn = business_seconds(calendar, _duration(text))
        except TimerError as error:
            raise CalendarError(f"itn:warnAt: {error}", field="warnAt") from None
        return min(warn, target)
    try:
        fraction = float(text)
    except ValueError:
        raise CalendarError(
            f"itn:warnAt {text!r} is neither a fraction (0.8) nor a duration (PT2H).",
            field="warnAt",
        ) from None
    if not 0 < fraction <= 1:
        raise CalendarError("itn:warnAt as a fraction lies in (0, 1].", field="warnAt")
    return target * fraction


def calendar_from_dict(spec: Mapping[str, Any]) -> WorkingCalendar:
    """The calendar stored as :meth:`WorkingCalendar.as_dict` wrote it."""
    periods = tuple(
        tuple((int(start), int(end)) for start, end in day) for day in spec.get("periods", [])
    )
    return WorkingCalendar(
        zone=str(spec.get("zone") or "UTC"),
        periods=periods or ((),) * 7,
        holidays=frozenset(date.fromisoformat(day) for day in spec.get("holidays", [])),
        day_hours=float(spec.get("day_hours") or 8.0),
    )


def weekly_hours(periods: Sequence[Sequence[tuple[int, int]]]) -> float:
    return sum(end - start for day in periods for start, end in day) / 60
