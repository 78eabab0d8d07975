"""SLA deadlines over China's 2026 working-day arrangement, checked against dates worked by hand."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from app.config.durations import parse_duration
from app.sla.workdays import (
    WorkingCalendar,
    calendar_covers,
    due_at,
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



def test_calendar_covers() -> None:
    """A year with no holiday or make-up workday listed has not been filled in yet."""
    assert calendar_covers(CHINA_2026, 2026)
    assert not calendar_covers(CHINA_2026, 2027)
    assert not calendar_covers(PLAIN, 2026)
    only_workday = CalendarSpec(workdays=(CalendarDay(dt.date(2027, 1, 4)),))
    assert calendar_covers(only_workday, 2027)


OFFICE = CalendarSpec(weekend=(5, 6), hours=((9 * 60, 12 * 60), (13 * 60 + 30, 18 * 60)))


@pytest.mark.parametrize(("start", "duration", "expected"), [
    ("2026-12-06 22:00", "4h", "2026-12-07 14:30"),  # Sunday night: Monday's office hours
    ("2026-12-07 09:00", "3h", "2026-12-07 12:00"),  # ends as the morning ends, not 13:30
    ("2026-12-07 11:00", "2h", "2026-12-07 14:30"),  # across the lunch break
    ("2026-12-07 12:30", "1h", "2026-12-07 14:30"),  # starting in the lunch break
    ("2026-12-07 07:00", "30m", "2026-12-07 09:30"),  # before opening
    ("2026-12-04 17:00", "2h", "2026-12-07 10:00"),  # Friday evening into Monday
    ("2026-12-04 10:00", "1d", "2026-12-07 10:00"),  # a day is a working day
    ("2026-12-04 19:00", "1d", "2026-12-07 18:00"),  # from after hours: Monday's close
    ("2026-12-06 10:00", "1d", "2026-12-07 18:00"),  # from a Sunday: Monday's close
    ("2026-12-07 09:00", "1d", "2026-12-07 18:00"),  # a whole working day
    ("2026-12-07 17:00", "3d", "2026-12-10 17:00"),
    ("2026-12-07 17:00", "1d 1h", "2026-12-08 18:00"),
    ("2026-12-05 10:00", "8h", "2026-12-08 09:30"),  # Saturday: 7.5 h on Monday, then Tuesday
])
def test_office_hours_count_office_time_only(start: str, duration: str, expected: str) -> None:
    assert due_at(at(start), parse_duration(duration), OFFICE, True) == at(expected)


def test_office_hours_do_not_change_calendar_time() -> None:
    assert due_at(at("2026-12-06 22:00"), parse_duration("4h"), OFFICE, False) == \
        at("2026-12-07 02:00")
