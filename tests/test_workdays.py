"""SLA deadlines over China's 2026 working-day arrangement, checked against dates worked by hand."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from app.sla.workdays import (
    WorkingCalendar,
    calendar_covers,
    due_at,
    format_duration,
    parse_duration,
)
from app.spec import CalendarDay, CalendarSpec


def _days(first: str, last: str, label: str) -> tuple[CalendarDay, ...]:
    """Every date from first to last inclusive, as calendar entries."""
    start, stop = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    return tuple(
        CalendarDay(start + dt.timedelta(days=i), label) for i in range((stop - start).days + 1)
    )


# The State Council's 2026 notice: Spring Festival and National Day + Mid-Autumn golden week.
CHINA_2026 = CalendarSpec(
    holidays=(
        _days("2026-02-15", "2026-02-23", "春节")
        + _days("2026-10-01", "2026-10-07", "国庆节、中秋节")
    ),
    workdays=(
        CalendarDay(dt.date(2026, 2, 14), "春节调休"),  # Saturday
        CalendarDay(dt.date(2026, 2, 28), "春节调休"),  # Saturday
        CalendarDay(dt.date(2026, 9, 20), "国庆调休"),  # Sunday
        CalendarDay(dt.date(2026, 10, 10), "国庆调休"),  # Saturday
    ),
)
PLAIN = CalendarSpec()  # Monday to Friday, no holidays
NO_WORK = CalendarSpec(weekend=(0, 1, 2, 3, 4, 5, 6))


def at(text: str) -> dt.datetime:
    """A naive local datetime from 'YYYY-MM-DD HH:MM'."""
    return dt.datetime.fromisoformat(text)


def due(start: str, duration: str, calendar: CalendarSpec | None = CHINA_2026) -> dt.datetime:
    """The working-day deadline of duration from start."""
    return due_at(at(start), parse_duration(duration), calendar, True)


def test_calendar_mode_counts_the_weekend() -> None:
    """Without working days a deadline is plain wall-clock time."""
    friday = at("2026-09-11 15:00")
    assert due_at(friday, parse_duration("3d"), CHINA_2026, False) == at("2026-09-14 15:00")
    assert due_at(friday, parse_duration("3d"), None, True) == at("2026-09-14 15:00")


def test_working_days_skip_the_weekend() -> None:
    """Friday 15:00 plus three working days is Wednesday 15:00."""
    assert due("2026-09-11 15:00", "3d") == at("2026-09-16 15:00")
    assert due("2026-09-11 15:00", "3d", PLAIN) == at("2026-09-16 15:00")


def test_hours_cross_midnight_into_the_weekend() -> None:
    """Friday 22:00 plus 4h is Monday 02:00; exactly to midnight stays at that midnight."""
    assert due("2026-09-11 22:00", "4h") == at("2026-09-14 02:00")
    assert due("2026-09-11 22:00", "2h") == at("2026-09-12 00:00")
    assert due("2026-09-11 22:00", "2h1m") == at("2026-09-14 00:01")


def test_start_on_a_saturday_counts_from_monday() -> None:
    """Saturday 10:00 plus 3d is Wednesday 24:00, i.e. Thursday 00:00."""
    assert due("2026-09-12 10:00", "3d") == at("2026-09-17 00:00")
    assert due("2026-09-12 10:00", "30m") == at("2026-09-14 00:30")


def test_deadline_spans_the_october_golden_week() -> None:
    """Sep 30 counts 14h, Oct 1-7 nothing, Oct 8 and 9 a day each, Saturday Oct 10 is worked."""
    assert due("2026-09-30 10:00", "3d") == at("2026-10-10 10:00")
    # Sunday Oct 11 is a plain weekend day again: the fourth day ends on Monday Oct 12.
    assert due("2026-09-30 10:00", "4d") == at("2026-10-12 10:00")
    assert due("2026-10-01 09:00", "1h") == at("2026-10-08 01:00")  # start inside the holiday


def test_make_up_sunday_counts() -> None:
    """Sunday 2026-09-20 is a make-up workday: the clock runs on it."""
    assert due("2026-09-18 12:00", "1d") == at("2026-09-20 12:00")
    assert due("2026-09-18 12:00", "1d", PLAIN) == at("2026-09-21 12:00")
    assert due("2026-09-19 08:00", "1h") == at("2026-09-20 01:00")  # Saturday start


def test_holiday_on_a_weekday_does_not_count() -> None:
    """Spring Festival: Saturday Feb 14 is worked, Feb 15-23 (Monday to Monday) is not."""
    assert due("2026-02-13 12:00", "1d") == at("2026-02-14 12:00")
    assert due("2026-02-13 12:00", "2d") == at("2026-02-24 12:00")
    assert due("2026-02-16 09:00", "4h") == at("2026-02-24 04:00")  # Monday, a holiday
    assert due("2026-02-27 20:00", "1d") == at("2026-02-28 20:00")  # Saturday Feb 28 is worked


def test_fast_count_agrees_with_the_spec_day_by_day() -> None:
    """WorkingCalendar's week-and-bisection count matches CalendarSpec.is_working_day."""
    cal = WorkingCalendar(CHINA_2026)
    first = dt.date(2025, 12, 1)
    days = [first + dt.timedelta(days=i) for i in range(420)]
    assert [cal.is_working_day(d) for d in days] == [CHINA_2026.is_working_day(d) for d in days]
    for a in range(0, 420, 13):
        for b in range(a, 420, 11):
            expected = sum(CHINA_2026.is_working_day(d) for d in days[a:b])
            assert cal.count(days[a], days[b]) == expected, (days[a], days[b])


def test_long_durations_are_fast() -> None:
    """365 days is stepped through by whole days, not by minutes."""
    began = time.perf_counter()
    for hour in range(100):
        start = at("2026-01-01 00:00") + dt.timedelta(hours=hour)
        end = due_at(start, 365 * 86400, CHINA_2026, True)
        assert end.year == 2027
    assert time.perf_counter() - began < 2


def test_a_calendar_without_working_days_is_refused() -> None:
    """Every day a weekend and no make-up workday: no deadline, but a clear error, quickly."""
    with pytest.raises(ValueError) as raised:
        due_at(at("2026-09-12 10:00"), 3600, NO_WORK, True)
    assert str(raised.value) == "the calendar has no working day within a year of 2026-09-12"
    # One make-up workday: a day's work on it, then nothing for over a year.
    lonely = CalendarSpec(weekend=NO_WORK.weekend, workdays=(CalendarDay(dt.date(2026, 9, 20)),))
    assert due_at(at("2026-09-12 10:00"), 3600, lonely, True) == at("2026-09-20 01:00")
    with pytest.raises(ValueError, match="no working day within a year of 2026-09-21$"):
        due_at(at("2026-09-12 10:00"), 86401, lonely, True)
    assert due_at(at("2026-09-12 10:00"), 3600, NO_WORK, False) == at("2026-09-12 11:00")


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30m", 1800),
        ("4h", 4 * 3600),
        ("3d", 3 * 86400),
        ("1d 12h", 36 * 3600),
        ("2h30m", 9000),
        ("1d12h", 36 * 3600),
        (" 1d  2h 5m ", 86400 + 7200 + 300),
        ("0d 4h", 4 * 3600),
        ("90m", 5400),
        ("365d", 365 * 86400),
    ],
)
def test_parse_duration_accepts(text: str, seconds: int) -> None:
    """Days, hours and minutes, each once and in that order, spaces between parts allowed."""
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("3 days", "'3 days' is not a duration; write e.g. 30m, 4h, 3d or 1d 12h"),
        ("", "'' is not a duration; write e.g. 30m, 4h, 3d or 1d 12h"),
        ("4", "'4' is not a duration; write e.g. 30m, 4h, 3d or 1d 12h"),
        ("3 d", "'3 d' is not a duration; write e.g. 30m, 4h, 3d or 1d 12h"),
        ("1h 2d", "'1h 2d' is not a duration; write e.g. 30m, 4h, 3d or 1d 12h"),
        ("2h2h", "'2h2h' is not a duration; write e.g. 30m, 4h, 3d or 1d 12h"),
        ("1.5h", "'1.5h' is not a duration; write e.g. 30m, 4h, 3d or 1d 12h"),
        ("-1h", "'-1h' is not a duration; write e.g. 30m, 4h, 3d or 1d 12h"),
        ("4H", "'4H' is not a duration; write e.g. 30m, 4h, 3d or 1d 12h"),
        ("30s", "'30s' is not a duration; write e.g. 30m, 4h, 3d or 1d 12h"),
        ("３d", "'３d' is not a duration; write e.g. 30m, 4h, 3d or 1d 12h"),
        ("0m", "a duration must be longer than zero"),
        ("0d 0h", "a duration must be longer than zero"),
        ("366d", "'366d' is longer than 365 days"),
        ("365d 1m", "'365d 1m' is longer than 365 days"),
        ("9" * 5000 + "d", f"'{'9' * 5000}d' is longer than 365 days"),
    ],
)
def test_parse_duration_rejects(text: str, message: str) -> None:
    """Anything else is refused with a message that says how to write it."""
    with pytest.raises(ValueError) as raised:
        parse_duration(text)
    assert str(raised.value) == message


def test_format_duration() -> None:
    """The display form is the shortest written form, and parses back to the same seconds."""
    assert format_duration(3 * 86400) == "3d"
    assert format_duration(36 * 3600) == "1d 12h"
    assert format_duration(4 * 3600) == "4h"
    assert format_duration(9000) == "2h30m"
    assert format_duration(1800) == "30m"
    assert format_duration(86400 + 3660) == "1d 1h1m"
    assert format_duration(86400 + 60) == "1d 1m"
    assert format_duration(0) == "0m"
    assert format_duration(59) == "0m"
    assert format_duration(-5400) == "-1h30m"
    for seconds in range(60, 365 * 86400 + 1, 86400 // 8 + 60):
        assert parse_duration(format_duration(seconds)) == seconds


def test_calendar_covers() -> None:
    """A year with no holiday or make-up workday listed has not been filled in yet."""
    assert calendar_covers(CHINA_2026, 2026)
    assert not calendar_covers(CHINA_2026, 2027)
    assert not calendar_covers(PLAIN, 2026)
    only_workday = CalendarSpec(workdays=(CalendarDay(dt.date(2027, 1, 4)),))
    assert calendar_covers(only_workday, 2027)
