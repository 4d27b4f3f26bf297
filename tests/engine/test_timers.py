from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from processes.engine.timers import (
    Cycle,
    Duration,
    TimerError,
    check_timer,
    first_due,
    next_due,
    parse_cycle,
    parse_datetime,
    parse_duration,
)

ARMED = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PT5M", Duration(minutes=5)),
        ("P2D", Duration(days=2)),
        ("P2W", Duration(weeks=2)),
        ("P1Y2M3DT4H5M6.5S", Duration(1, 2, 0, 3, 4, 5, 6.5)),
        ("P1Y2M3W4D", Duration(years=1, months=2, weeks=3, days=4)),
        ("PT36H", Duration(hours=36)),
        ("PT0S", Duration()),
        ("P0D", Duration()),
        ("PT0.25S", Duration(seconds=0.25)),
        ("PT6,5S", Duration(seconds=6.5)),
        ("P1DT12H", Duration(days=1, hours=12)),
        ("P1M", Duration(months=1)),
        ("PT1M", Duration(minutes=1)),
        ("pt5m", Duration(minutes=5)),
        ("  PT5M\n", Duration(minutes=5)),
    ],
)
def test_parse_duration(text: str, expected: Duration) -> None:
    assert parse_duration(text) == expected
    check_timer("duration", text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("P", "invalid duration 'P'"),
        ("PT", "invalid duration 'PT'"),
        ("P1DT", "invalid duration 'P1DT'"),
        ("5M", "invalid duration '5M'"),
        ("PT5", "invalid duration 'PT5'"),
        ("P5H", "invalid duration 'P5H'"),
        ("PT5D", "invalid duration 'PT5D'"),
        ("P1D2Y", "invalid duration 'P1D2Y'"),
        ("PT5M3H", "invalid duration 'PT5M3H'"),
        ("P1.5D", "only the seconds may have a fraction"),
        ("PT1.5H", "only the seconds may have a fraction"),
        ("PT.5S", "invalid duration 'PT.5S'"),
        ("-PT5M", "negative"),
        ("PT-5M", "negative"),
        ("P٣D", "invalid duration"),
        ("2026-03-01", "invalid duration '2026-03-01'"),
        ("P20000Y", "longer than 10,000 years"),
        ("PT" + "9" * 300 + "S", "longer than 200 characters"),
        ("${delay}", "invalid duration '${delay}'"),
    ],
)
def test_parse_duration_refuses(text: str, message: str) -> None:
    with pytest.raises(TimerError) as caught:
        parse_duration(text)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    "fields",
    [{"years": -1}, {"months": -1}, {"days": -1}, {"minutes": -5}, {"seconds": -0.5}],
)
def test_negative_durations_are_refused(fields: dict[str, int]) -> None:
    with pytest.raises(TimerError, match="negative"):
        Duration(**fields)


@pytest.mark.parametrize(
    ("start", "text", "expected"),
    [
        (at(2026, 1, 31, 10), "P1M", at(2026, 2, 28, 10)),
        (at(2028, 1, 31, 10), "P1M", at(2028, 2, 29, 10)),
        (at(2026, 3, 31), "P1M", at(2026, 4, 30)),
        (at(2026, 1, 31), "P2M", at(2026, 3, 31)),
        (at(2026, 11, 15), "P3M", at(2027, 2, 15)),
        (at(2026, 12, 31), "P1M", at(2027, 1, 31)),
        (at(2028, 2, 29), "P1Y", at(2029, 2, 28)),
        (at(2028, 2, 29), "P4Y", at(2032, 2, 29)),
        (at(2026, 1, 1), "P1Y2M3DT4H5M6.5S", datetime(2027, 3, 4, 4, 5, 6, 500_000, UTC)),
        (at(2026, 1, 31), "P1M1D", at(2026, 3, 1)),
        (at(2026, 1, 1, 23, 30), "PT45M", at(2026, 1, 2, 0, 15)),
        (at(2026, 1, 1), "P2W", at(2026, 1, 15)),
        (at(2026, 1, 1), "PT0S", at(2026, 1, 1)),
    ],
)
def test_add_to_is_calendar_aware(start: datetime, text: str, expected: datetime) -> None:
    assert parse_duration(text).add_to(start) == expected


def test_add_to_keeps_the_time_zone() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    moment = datetime(2026, 3, 28, 9, 0, tzinfo=berlin)
    # Across the switch to summer time a day is a calendar day: 09:00 again, 23 hours later.
    later = parse_duration("P1D").add_to(moment)
    assert later == datetime(2026, 3, 29, 9, 0, tzinfo=berlin)
    assert later.tzinfo is berlin


def test_add_to_past_year_9999_is_a_timer_error() -> None:
    with pytest.raises(TimerError, match="after year 9999"):
        Duration(years=9000).add_to(at(2026, 1, 1))
    with pytest.raises(TimerError, match="after year 9999"):
        Duration(days=3_000_000).add_to(at(2026, 1, 1))


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("PT5M", 300),
        ("P1DT1S", 86_401),
        ("P2W", 14 * 86_400),
        ("PT1.5S", 1.5),
        ("P1Y", 365.2425 * 86_400),
        ("P1M", 365.2425 / 12 * 86_400),
    ],
)
def test_total_seconds_approx(text: str, seconds: float) -> None:
    assert parse_duration(text).total_seconds_approx() == pytest.approx(seconds)


@pytest.mark.parametrize(
    ("duration", "text"),
    [
        (Duration(minutes=5), "PT5M"),
        (Duration(), "PT0S"),
        (Duration(1, 2, 0, 3, 4, 5, 6.5), "P1Y2M3DT4H5M6.5S"),
        (Duration(weeks=2), "P2W"),
        (Duration(days=1, seconds=0.25), "P1DT0.25S"),
    ],
)
def test_duration_prints_as_iso_8601(duration: Duration, text: str) -> None:
    assert str(duration) == text


@given(
    st.builds(
        Duration,
        years=st.integers(0, 50),
        months=st.integers(0, 50),
        weeks=st.integers(0, 50),
        days=st.integers(0, 500),
        hours=st.integers(0, 500),
        minutes=st.integers(0, 500),
        seconds=st.integers(0, 100_000).map(lambda quarters: quarters / 4),
    )
)
def test_duration_text_round_trips(duration: Duration) -> None:
    assert parse_duration(str(duration)) == duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-01T09:00:00Z", at(2026, 3, 1, 9)),
        ("2026-03-01T09:00:00+01:00", at(2026, 3, 1, 8)),
        ("2026-03-01T09:00:00-05:30", at(2026, 3, 1, 14, 30)),
        ("2026-03-01T09:00:00", at(2026, 3, 1, 9)),
        ("2026-03-01T09:00Z", at(2026, 3, 1, 9)),
        ("2026-03-01T09:00:00.250Z", datetime(2026, 3, 1, 9, 0, 0, 250_000, UTC)),
        ("2026-03-01", at(2026, 3, 1)),
        ("2026-03-01t09:00:00z", at(2026, 3, 1, 9)),
        (" 2026-03-01T09:00:00Z ", at(2026, 3, 1, 9)),
    ],
)
def test_parse_datetime(text: str, expected: datetime) -> None:
    parsed = parse_datetime(text)
    assert parsed == expected
    assert parsed.tzinfo is not None
    check_timer("date", text)


def test_parse_datetime_keeps_the_given_offset() -> None:
    parsed = parse_datetime("2026-03-01T09:00:00+01:00")
    assert parsed.utcoffset() == timedelta(hours=1)
    assert parsed.hour == 9
    assert parse_datetime("2026-03-01T09:00:00").tzinfo is UTC


@pytest.mark.parametrize(
    "text",
    ["", "tomorrow", "2026-02-30", "2026-13-01", "2026-03-01T25:00:00", "01/03/2026", "PT5M"],
)
def test_parse_datetime_refuses(text: str) -> None:
    with pytest.raises(TimerError, match="date"):
        parse_datetime(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("R3/PT10M", Cycle(3, Duration(minutes=10))),
        ("R/PT1H", Cycle(None, Duration(hours=1))),
        ("R1/P1D", Cycle(1, Duration(days=1))),
        (
            "R5/2026-01-01T00:00:00Z/PT1H",
            Cycle(5, Duration(hours=1), start=at(2026, 1, 1)),
        ),
        (
            "R2/PT1H/2026-01-02T00:00:00Z",
            Cycle(2, Duration(hours=1), end=at(2026, 1, 2)),
        ),
        ("R/2026-01-01/P1M", Cycle(None, Duration(months=1), start=at(2026, 1, 1))),
        ("r3/pt10m", Cycle(3, Duration(minutes=10))),
    ],
)
def test_parse_cycle(text: str, expected: Cycle) -> None:
    assert parse_cycle(text) == expected
    check_timer("cycle", text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0 0/5 * * * ?", "cron expressions are not supported; use ISO-8601 repeating intervals"),
        ("0 0 12 * * MON-FRI", "cron expressions are not supported"),
        ("*/5 * * * *", "cron expressions are not supported"),
        ("", "empty"),
        ("PT1H", "invalid cycle 'PT1H'"),
        ("R3", "invalid cycle 'R3'"),
        ("R3/", "invalid cycle 'R3/'"),
        ("Rx/PT1H", "invalid cycle 'Rx/PT1H'"),
        ("R-1/PT1H", "invalid cycle 'R-1/PT1H'"),
        ("R0/PT1H", "repeats 0 times"),
        ("R3/PT1X", "invalid cycle 'R3/PT1X': invalid duration 'PT1X'"),
        ("R/PT0S", "shorter than one second"),
        ("R/PT0.5S", "shorter than one second"),
        ("R3/2026-01-01/2026-01-02", "give the period as a duration"),
        ("R3/2026-02-30T00:00:00Z/PT1H", "invalid date and time"),
        ("R3/PT1H/PT2H", "invalid date and time 'PT2H'"),
        ("R3/2026-01-01/PT1H/2026-02-01", "invalid cycle"),
    ],
)
def test_parse_cycle_refuses(text: str, message: str) -> None:
    with pytest.raises(TimerError) as caught:
        parse_cycle(text)
    assert message in str(caught.value)


def fires(text: str, armed_at: datetime, limit: int = 20) -> list[datetime]:
    """Every due date of a cycle, as the engine would walk them."""
    due: datetime | None = first_due("cycle", text, armed_at)
    seen: list[datetime] = []
    while due is not None and len(seen) < limit:
        seen.append(due)
        due = next_due("cycle", text, armed_at, len(seen), due)
    return seen


def test_a_bounded_cycle_fires_its_repetitions_after_arming() -> None:
    assert fires("R3/PT10M", ARMED) == [
        at(2026, 1, 1, 12, 10),
        at(2026, 1, 1, 12, 20),
        at(2026, 1, 1, 12, 30),
    ]


def test_an_unbounded_cycle_never_stops() -> None:
    assert len(fires("R/PT1H", ARMED, limit=50)) == 50
    assert next_due("cycle", "R/PT1H", ARMED, 10_000, at(2027, 2, 22)) == at(2027, 2, 22, 1)


def test_a_cycle_with_a_start_fires_at_the_start() -> None:
    assert fires("R3/2026-01-02T00:00:00Z/PT1H", ARMED) == [
        at(2026, 1, 2, 0),
        at(2026, 1, 2, 1),
        at(2026, 1, 2, 2),
    ]


def test_a_cycle_armed_after_its_start_fires_at_the_next_occurrence() -> None:
    armed_at = at(2026, 1, 1, 2, 30)
    assert first_due("cycle", "R/2026-01-01T00:00:00Z/PT1H", armed_at) == at(2026, 1, 1, 3)
    # The occurrences before arming are gone: of five, two remain.
    text = "R5/2026-01-01T00:00:00Z/PT1H"
    assert fires(text, armed_at) == [at(2026, 1, 1, 3), at(2026, 1, 1, 4)]
    # Armed exactly at an occurrence, the timer fires then.
    assert first_due("cycle", text, at(2026, 1, 1, 2)) == at(2026, 1, 1, 2)


def test_a_cycle_with_an_end_stops_there() -> None:
    armed_at = at(2026, 1, 1, 21, 30)
    assert fires("R/PT1H/2026-01-02T00:00:00Z", armed_at) == [
        at(2026, 1, 1, 22, 30),
        at(2026, 1, 1, 23, 30),
    ]
    assert fires("R5/PT30M/2026-01-02T00:00:00Z", at(2026, 1, 1, 23)) == [
        at(2026, 1, 1, 23, 30),
        at(2026, 1, 2, 0, 0),
    ]
    assert fires("R2/PT1H/2026-01-02T00:00:00Z", at(2026, 1, 1, 20)) == [
        at(2026, 1, 1, 21),
        at(2026, 1, 1, 22),
    ]


@pytest.mark.parametrize(
    "text",
    ["R5/2025-01-01T00:00:00Z/PT1H", "R/PT1H/2025-01-01T00:00:00Z", "R/PT1H/2026-01-01T12:30:00Z"],
)
def test_a_cycle_that_is_over_when_armed_is_a_timer_error(text: str) -> None:
    with pytest.raises(TimerError, match="has no occurrence after"):
        first_due("cycle", text, ARMED)


def test_monthly_cycles_do_not_drift() -> None:
    assert fires("R5/P1M", at(2026, 1, 31, 10)) == [
        at(2026, 2, 28, 10),
        at(2026, 3, 31, 10),
        at(2026, 4, 30, 10),
        at(2026, 5, 31, 10),
        at(2026, 6, 30, 10),
    ]
    assert fires("R/2024-02-29T00:00:00Z/P1Y", at(2024, 1, 1), limit=5) == [
        at(2024, 2, 29),
        at(2025, 2, 28),
        at(2026, 2, 28),
        at(2027, 2, 28),
        at(2028, 2, 29),
    ]


def test_next_due_skips_occurrences_that_were_missed() -> None:
    # The scheduler was down for a while: the next due date follows the last one it reports.
    text = "R/2026-01-01T00:00:00Z/PT1M"
    assert next_due("cycle", text, ARMED, 1, at(2030, 6, 1, 0, 0, 30)) == at(2030, 6, 1, 0, 1)
    assert next_due("cycle", "R/P1M", at(2026, 1, 31), 1, at(2040, 5, 3)) == at(2040, 5, 31)


def test_next_due_stops_after_the_repetitions() -> None:
    assert next_due("cycle", "R3/PT10M", ARMED, 3, at(2026, 1, 1, 12, 30)) is None
    assert next_due("cycle", "R3/PT10M", ARMED, 2, at(2026, 1, 1, 12, 20)) == at(2026, 1, 1, 12, 30)


def test_next_due_ends_at_year_9999() -> None:
    assert next_due("cycle", "R/P1000Y", at(9000, 1, 1), 1, at(9000, 1, 1)) is None


@pytest.mark.parametrize(
    ("kind", "text", "expected"),
    [
        ("duration", "PT5M", at(2026, 1, 1, 12, 5)),
        ("duration", "P1D", at(2026, 1, 2, 12)),
        ("duration", "PT0S", ARMED),
        ("date", "2026-03-01T09:00:00Z", at(2026, 3, 1, 9)),
        ("date", "2020-01-01", at(2020, 1, 1)),
        ("cycle", "R3/PT10M", at(2026, 1, 1, 12, 10)),
        ("cycle", "R20/2026-01-01T00:00:00Z/PT1H", at(2026, 1, 1, 12)),
        ("cycle", "R5/2026-01-01T00:00:00Z/PT5H", at(2026, 1, 1, 15)),
        ("cycle", "R5/2026-02-01T00:00:00Z/PT1H", at(2026, 2, 1)),
    ],
)
def test_first_due(kind: str, text: str, expected: datetime) -> None:
    assert first_due(kind, text, ARMED) == expected


@pytest.mark.parametrize(
    ("kind", "text"),
    [("duration", "PT5M"), ("date", "2026-03-01T09:00:00Z")],
)
def test_duration_and_date_timers_fire_once(kind: str, text: str) -> None:
    due = first_due(kind, text, ARMED)
    assert next_due(kind, text, ARMED, 1, due) is None


def test_a_naive_armed_at_is_utc() -> None:
    naive = datetime(2026, 1, 1, 12, 0)  # noqa: DTZ001 - the case under test
    assert first_due("duration", "PT5M", naive) == at(2026, 1, 1, 12, 5)
    assert first_due("cycle", "R/2026-01-01T11:00:00Z/PT1H", naive) == at(2026, 1, 1, 12)


def test_armed_at_in_another_zone() -> None:
    armed_at = datetime(2026, 1, 1, 13, 0, tzinfo=timezone(timedelta(hours=1)))
    assert first_due("cycle", "R/2026-01-01T11:00:00Z/PT1H", armed_at) == at(2026, 1, 1, 12)


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        ("duration", "PT5M"),
        ("duration", "P1Y"),
        ("date", "2026-03-01T09:00:00Z"),
        ("date", "2026-03-01"),
        ("cycle", "R3/PT10M"),
        ("cycle", "R/2026-01-01T00:00:00Z/P1D"),
    ],
)
def test_check_timer_accepts(kind: str, text: str) -> None:
    check_timer(kind, text)


@pytest.mark.parametrize(
    ("kind", "text", "message"),
    [
        ("duration", "5 minutes", "invalid duration '5 minutes'"),
        ("duration", "2026-03-01T09:00:00Z", "invalid duration"),
        ("date", "PT5M", "invalid date and time 'PT5M'"),
        ("date", "next monday", "invalid date and time"),
        ("cycle", "PT5M", "invalid cycle 'PT5M'"),
        ("cycle", "0 0 * * *", "cron expressions are not supported"),
        ("cron", "0 0 * * *", "unknown timer kind 'cron'"),
        ("timeDuration", "PT5M", "unknown timer kind 'timeDuration'"),
    ],
)
def test_check_timer_refuses(kind: str, text: str, message: str) -> None:
    with pytest.raises(TimerError) as caught:
        check_timer(kind, text)
    assert message in str(caught.value)


def test_unknown_kinds_are_refused() -> None:
    with pytest.raises(TimerError, match="unknown timer kind 'sometime'"):
        first_due("sometime", "PT5M", ARMED)
    with pytest.raises(TimerError, match="unknown timer kind 'sometime'"):
        next_due("sometime", "PT5M", ARMED, 1, ARMED)


def test_timer_error_is_a_value_error() -> None:
    assert issubclass(TimerError, ValueError)


@given(st.text(max_size=60), st.sampled_from(["duration", "date", "cycle"]))
def test_random_text_raises_only_timer_errors(text: str, kind: str) -> None:
    with contextlib.suppress(TimerError):
        check_timer(kind, text)
        first_due(kind, text, ARMED)


@given(
    st.integers(1, 30),
    st.sampled_from(["PT1S", "PT7M", "PT1H", "P1D", "P1W", "P1M", "P1Y", "P1M15DT3H"]),
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)),  # noqa: DTZ001
)
def test_cycle_due_dates_increase_and_count_right(
    repetitions: int, period: str, armed_at: datetime
) -> None:
    text = f"R{repetitions}/{period}"
    seen = fires(text, armed_at.replace(tzinfo=UTC), limit=100)
    assert len(seen) == repetitions
    assert seen == sorted(set(seen))
    assert seen[0] == parse_duration(period).add_to(armed_at.replace(tzinfo=UTC))
