"""Business-time arithmetic with exact expected moments: weekends, holidays, time zones, lunch
breaks, daylight-saving changes, and pausing an SLA clock."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from monitoring.calendars import (
    ROUND_THE_CLOCK,
    CalendarError,
    WorkingCalendar,
    add_business_seconds,
    business_seconds,
    business_seconds_between,
    calendar_from_dict,
    parse_escalation,
    sla_spec,
)
from processes.engine.timers import parse_duration

NINE_TO_FIVE = ((9 * 60, 17 * 60),)
WEEKDAYS = (NINE_TO_FIVE,) * 5 + ((), ())
HOUR = 3600.0


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def berlin() -> WorkingCalendar:
    return WorkingCalendar(
        zone="Europe/Berlin",
        periods=WEEKDAYS,
        holidays=frozenset({date(2024, 12, 24), date(2024, 12, 25), date(2024, 12, 26)}),
    )


def deadline(calendar: WorkingCalendar, start: str, sla: str) -> datetime:
    seconds = business_seconds(calendar, parse_duration(sla))
    return add_business_seconds(calendar, utc(start), seconds)


def test_hours_left_on_friday_carry_over_the_weekend(berlin: WorkingCalendar) -> None:
    # Friday 15:00 CEST: two hours on Friday, two on Monday from 09:00 CEST.
    assert deadline(berlin, "2024-10-18T13:00", "PT4H") == utc("2024-10-21T09:00")


def test_the_clock_change_weekend_moves_the_deadline_in_utc(berlin: WorkingCalendar) -> None:
    # Same wall-clock answer (Monday 11:00), but Monday is in CET: 10:00 UTC, not 09:00.
    assert deadline(berlin, "2024-10-25T13:00", "PT4H") == utc("2024-10-28T10:00")


def test_holidays_are_skipped(berlin: WorkingCalendar) -> None:
    # Monday 23 Dec 16:00 CET, one business day (8 h): 1 h on Monday, 24-26 Dec are holidays,
    # 7 h on Friday 27 Dec from 09:00 CET: 16:00 CET.
    assert deadline(berlin, "2024-12-23T15:00", "P1D") == utc("2024-12-27T15:00")


def test_before_opening_hours_the_clock_starts_at_opening(berlin: WorkingCalendar) -> None:
    assert deadline(berlin, "2024-10-22T06:00", "PT1H") == utc("2024-10-22T08:00")


def test_a_full_day_ends_at_closing_time_not_the_next_morning(berlin: WorkingCalendar) -> None:
    assert deadline(berlin, "2024-10-21T07:00", "P1D") == utc("2024-10-21T15:00")


def test_a_week_is_the_calendars_working_days(berlin: WorkingCalendar) -> None:
    # 5 working days of 8 h from Monday 09:00 CEST: Friday 17:00 CEST.
    assert deadline(berlin, "2024-10-21T07:00", "P1W") == utc("2024-10-25T15:00")
    assert business_seconds(berlin, parse_duration("P1W")) == 40 * HOUR


def test_working_seconds_between_two_moments(berlin: WorkingCalendar) -> None:
    # Friday 16:00 CEST to Monday 10:00 CET: one hour each side of the weekend.
    start, end = utc("2024-10-25T14:00"), utc("2024-10-28T09:00")
    assert business_seconds_between(berlin, start, end) == 2 * HOUR
    assert business_seconds_between(berlin, end, start) == -2 * HOUR
    # A weekend alone holds no working time.
    assert business_seconds_between(berlin, utc("2024-10-26T00:00"), utc("2024-10-27T23:00")) == 0


def test_lunch_breaks_and_another_time_zone() -> None:
    tokyo = WorkingCalendar(
        zone="Asia/Tokyo", periods=(((9 * 60, 12 * 60), (13 * 60, 18 * 60)),) * 5 + ((), ())
    )
    # Friday 17:00 JST, 3 h: 1 h on Friday, 09:00-11:00 on Monday.
    assert deadline(tokyo, "2024-06-07T08:00", "PT3H") == utc("2024-06-10T02:00")
    # Monday 11:30 JST, 1 h: 30 min before lunch, 30 min after: 13:30 JST.
    assert deadline(tokyo, "2024-06-10T02:30", "PT1H") == utc("2024-06-10T04:30")
    # A business day here is 8 h as well: 09:00-12:00 and 13:00-18:00.
    assert deadline(tokyo, "2024-06-10T00:00", "P1D") == utc("2024-06-10T09:00")


def test_a_round_the_clock_calendar_counts_absolute_time_across_dst() -> None:
    # 00:00-24:00 every day in New York, with a holiday elsewhere in the year so the general
    # path runs. Saturday 9 March 12:00 EST plus 24 h: 12 h on Saturday, and Sunday (23 h long,
    # clocks spring forward) gives the other 12 h by 13:00 EDT = 17:00 UTC.
    new_york = WorkingCalendar(
        zone="America/New_York",
        periods=(((0, 1440),),) * 7,
        holidays=frozenset({date(2024, 12, 25)}),
        day_hours=24,
    )
    assert not new_york.round_the_clock
    assert deadline(new_york, "2024-03-09T17:00", "P1D") == utc("2024-03-10T17:00")
    assert deadline(ROUND_THE_CLOCK, "2024-03-09T17:00", "P1D") == utc("2024-03-10T17:00")
    # The whole of Sunday 10 March is 23 hours of work.
    sunday = business_seconds_between(new_york, utc("2024-03-10T05:00"), utc("2024-03-11T04:00"))
    assert sunday == 23 * HOUR


def test_working_periods_spanning_the_clock_changes() -> None:
    sundays = ((),) * 6 + (((60, 4 * 60),),)
    night_shift = WorkingCalendar(zone="Europe/Berlin", periods=sundays)
    # 31 March 2024: 01:00 CET to 04:00 CEST is two hours of work (02:00-03:00 never happens).
    spring = business_seconds_between(night_shift, utc("2024-03-30T00:00"), utc("2024-04-01T00:00"))
    assert spring == 2 * HOUR
    # 27 October 2024: 01:00 CEST to 04:00 CET is four hours (02:00-03:00 happens twice).
    autumn = business_seconds_between(night_shift, utc("2024-10-26T00:00"), utc("2024-10-28T00:00"))
    assert autumn == 4 * HOUR
    # 2.5 h from the start of the spring shift: 2 h that night, the next Sunday 01:00 CEST + 30 min.
    assert add_business_seconds(night_shift, utc("2024-03-31T00:00"), 2.5 * HOUR) == utc(
        "2024-04-06T23:30"
    )


def test_pausing_and_resuming_keeps_the_working_time_left(berlin: WorkingCalendar) -> None:
    # Created Monday 09:00 CEST with one business day: due Monday 17:00 CEST.
    due = deadline(berlin, "2024-10-21T07:00", "P1D")
    assert due == utc("2024-10-21T15:00")
    # Paused at 11:00 CEST: 6 h left. Resumed Wednesday 14:00 CEST: 3 h on Wednesday, 3 h on
    # Thursday from 09:00: Thursday 12:00 CEST.
    left = business_seconds_between(berlin, utc("2024-10-21T09:00"), due)
    assert left == 6 * HOUR
    assert add_business_seconds(berlin, utc("2024-10-23T12:00"), left) == utc("2024-10-24T10:00")


def test_zero_seconds_and_aware_datetimes_only(berlin: WorkingCalendar) -> None:
    moment = utc("2024-10-26T12:00")
    assert add_business_seconds(berlin, moment, 0) == moment
    with pytest.raises(CalendarError):
        add_business_seconds(berlin, datetime(2024, 10, 26, 12), 60)  # noqa: DTZ001


def test_a_calendar_without_working_time_never_gives_a_deadline() -> None:
    idle = WorkingCalendar(zone="UTC", periods=((),) * 7)
    with pytest.raises(CalendarError) as caught:
        add_business_seconds(idle, utc("2024-01-01T00:00"), 60)
    assert caught.value.field == "periods"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"zone": "Mars/Olympus"}, "zone"),
        ({"periods": (((600, 540),),) + ((),) * 6}, "periods"),
        ({"periods": (((540, 720), (700, 800)),) + ((),) * 6}, "periods"),
        ({"periods": (((0, 1500),),) + ((),) * 6}, "periods"),
        ({"day_hours": 0}, "day_hours"),
        ({"day_hours": 25}, "day_hours"),
    ],
)
def test_bad_calendars_are_refused_naming_the_part(kwargs: dict, field: str) -> None:
    with pytest.raises(CalendarError) as caught:
        WorkingCalendar(**kwargs)
    assert caught.value.field == field


def test_a_calendar_survives_its_stored_form(berlin: WorkingCalendar) -> None:
    assert calendar_from_dict(berlin.as_dict()) == berlin


def test_sla_attributes(berlin: WorkingCalendar) -> None:
    spec = sla_spec({"sla": "P2D", "warnAt": "0.75", "slaPauseOn": " customer "}, berlin)
    assert spec is not None
    assert (spec.seconds, spec.warn_seconds, spec.pause_on) == (16 * HOUR, 12 * HOUR, "customer")
    assert spec.escalation == ("notify",)
    by_duration = sla_spec({"sla": "PT8H", "warnAt": "PT6H"}, berlin)
    assert by_duration is not None
    assert by_duration.warn_seconds == 6 * HOUR
    default = sla_spec({"sla": "PT10H"}, berlin)
    assert default is not None
    assert default.warn_seconds == 8 * HOUR
    assert sla_spec({"role": "clerks"}, berlin) is None


@pytest.mark.parametrize(
    ("attributes", "field"),
    [
        ({"sla": "P1M"}, "sla"),
        ({"sla": "soon"}, "sla"),
        ({"sla": "PT0S"}, "sla"),
        ({"sla": "PT1H", "warnAt": "1.5"}, "warnAt"),
        ({"sla": "PT1H", "warnAt": "often"}, "warnAt"),
        ({"sla": "PT1H", "escalation": "shout"}, "escalation"),
        ({"sla": "PT1H", "escalation": "reassign-manager reassign-role"}, "escalation"),
    ],
)
def test_bad_sla_attributes_name_the_attribute(
    berlin: WorkingCalendar, attributes: dict, field: str
) -> None:
    with pytest.raises(CalendarError) as caught:
        sla_spec(attributes, berlin)
    assert caught.value.field == field


def test_escalation_actions_in_a_fixed_order() -> None:
    assert parse_escalation("notify|raise-priority") == ("raise-priority", "notify")
    assert parse_escalation("reassign-role, notify") == ("reassign-role", "notify")
    assert parse_escalation("") == ("notify",)
