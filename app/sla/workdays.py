"""SLA deadline arithmetic over China's working-day calendar (weekends, holidays, 调休).

Durations are written as ``30m``, ``4h``, ``3d``, ``1d 12h`` or ``2h30m``: units ``d`` (24 hours),
``h`` and ``m``, each at most once and in that order, spaces allowed between the parts. A
duration is longer than zero and at most 365 days.

How a deadline is counted:

- Without working days (``working_days: false``, or no calendar): plain wall-clock time. A
  deadline of ``3d`` is exactly 72 hours after the start, weekends and holidays included.
- With working days: the clock runs only during working days, whole days from 00:00 to 24:00.
  Time on weekends and public holidays does not count; make-up workdays (调休) count even though
  they fall on a weekend. A record created on a non-working day starts its clock at 00:00 of the
  next working day.
- Examples (Monday to Friday working): ``3d`` from Friday 15:00 is due Wednesday 15:00; ``4h``
  from Friday 22:00 is due Monday 02:00; ``3d`` from Saturday 10:00 is due Wednesday 24:00
  (shown as Thursday 00:00). A deadline that ends exactly at the end of a working day stays at
  that midnight: ``2h`` from Friday 22:00 is due Friday 24:00 (Saturday 00:00).
- Times are the server's local time, without a time zone.
- With office hours (`hours` in config/calendar.yaml, e.g. 09:00–12:00 and 13:30–18:00) the
  clock runs only within them on working days: a day (``d``) is one working day, ``h`` and
  ``m`` are office time. ``4h`` from Sunday 22:00 is due Monday 14:30; ``1d`` from Friday
  10:00 is due Monday 10:00; ``1d`` from Friday 19:00 or Sunday is due Monday 18:00 (a deadline that
  ends as a period ends stays there: ``3h`` from Monday 09:00 is due 12:00, not 13:30).

A calendar with no working day at all (every weekday a weekend, no make-up workdays) cannot
give a deadline: it fails with "the calendar has no working day within a year of <date>".
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from functools import lru_cache

from app.spec import CalendarSpec

SEARCH_DAYS = 400  # how far to look for a next working day before giving up


class WorkingCalendar:
    """A calendar spec as sets and sorted lists, so that thousands of SLA checks stay fast."""

    def __init__(self, spec: CalendarSpec) -> None:
        self.weekend = frozenset(spec.weekend)
        self.workdays = frozenset(d.date for d in spec.workdays)
        self.holidays = frozenset(d.date for d in spec.holidays) - self.workdays
        self.week_count = 7 - len(self.weekend)  # working days in a plain week
        # The days that differ from the plain weekly rhythm, for counting by bisection.
        self.extra_on = sorted(d for d in self.workdays if d.weekday() in self.weekend)
        self.extra_off = sorted(d for d in self.holidays if d.weekday() not in self.weekend)

    def is_working_day(self, day: dt.date) -> bool:
        """Whether the clock runs on that day: make-up workdays first, then holidays, weekend."""
        if day in self.workdays:
            return True
        return day not in self.holidays and day.weekday() not in self.weekend

    def next_working_day(self, day: dt.date) -> dt.date:
        """The first working day on or after day; ValueError when none comes within the search."""
        for offset in range(SEARCH_DAYS):
            candidate = day + dt.timedelta(days=offset)
            if self.is_working_day(candidate):
                return candidate
        raise ValueError(f"the calendar has no working day within a year of {day.isoformat()}")

    def count(self, first: dt.date, stop: dt.date) -> int:
        """How many working days in [first, stop), by whole weeks and bisection, not day by day."""
        if stop <= first:
            return 0
        weeks, rest = divmod((stop - first).days, 7)
        total = weeks * self.week_count
        tail = first + dt.timedelta(days=weeks * 7)
        total += sum((tail.weekday() + i) % 7 not in self.weekend for i in range(rest))

        def within(days: list[dt.date]) -> int:
            return bisect_left(days, stop) - bisect_left(days, first)

        return total + within(self.extra_on) - within(self.extra_off)


@lru_cache(maxsize=32)
def working_calendar(spec: CalendarSpec) -> WorkingCalendar:
    """The fast lookup for a spec, built once per (frozen, hashable) calendar spec."""
    return WorkingCalendar(spec)


def _midnight(moment: dt.datetime, day: dt.date) -> dt.datetime:
    """00:00 of day, in the same time zone (if any) as moment."""
    return dt.datetime.combine(day, dt.time(), moment.tzinfo)


def due_at(
    start: dt.datetime, seconds: int, calendar: CalendarSpec | None, working_days: bool
) -> dt.datetime:
    """When a duration of seconds started at start runs out: wall-clock or working-day time."""
    if seconds < 0:
        raise ValueError("a duration must not be negative")
    if calendar is None or not working_days:
        return start + dt.timedelta(seconds=seconds)
    if calendar.hours:
        return office_due_at(start, seconds, calendar)
    cal = working_calendar(calendar)
    day = start.date()
    offset = start - _midnight(start, day)
    if not cal.is_working_day(day):
        day, offset = cal.next_working_day(day), dt.timedelta()
    remaining = dt.timedelta(seconds=seconds)
    while remaining > dt.timedelta(days=1) - offset:  # one step per working day, never finer
        remaining -= dt.timedelta(days=1) - offset
        day, offset = cal.next_working_day(day + dt.timedelta(days=1)), dt.timedelta()
    return _midnight(start, day) + offset + remaining


def office_due_at(start: dt.datetime, seconds: int, calendar: CalendarSpec) -> dt.datetime:
    """due_at with office hours: whole days (`d`) are working days, the rest office time."""
    cal = working_calendar(calendar)
    periods = [(a * 60, b * 60) for a, b in calendar.hours]  # seconds from 00:00
    length = sum(b - a for a, b in periods)  # office seconds in a working day
    days, rest = divmod(seconds, 86400)
    day = start.date()
    if cal.is_working_day(day):
        clock = (start - _midnight(start, day)).total_seconds()
        done = sum(max(0.0, min(b, clock) - a) for a, b in periods)  # office time before it
    else:
        day, done = cal.next_working_day(day), 0.0
    if done >= length and (days or rest):  # after hours: as from the next working day
        day, done = cal.next_working_day(day + dt.timedelta(days=1)), 0.0
    if done == 0 and days:  # a whole day from the opening ends as that day's hours end
        days, done = days - 1, float(length)
    for _ in range(days):
        day = cal.next_working_day(day + dt.timedelta(days=1))
    while rest > length - done:
        rest -= int(length - done)
        day, done = cal.next_working_day(day + dt.timedelta(days=1)), 0.0
    return _midnight(start, day) + dt.timedelta(seconds=_clock(periods, done + rest))


def _clock(periods: list[tuple[int, int]], office: float) -> float:
    """The time of day (seconds from 00:00) when `office` seconds of office time have passed:
    the end of a period rather than the start of the next when it falls between them."""
    for start, end in periods:
        if office <= end - start:
            return start + office
        office -= end - start
    return float(periods[-1][1])


def calendar_covers(calendar: CalendarSpec, year: int) -> bool:
    """Whether the calendar lists any holiday or make-up workday in year (else: not yet added)."""
    return any(d.date.year == year for d in (*calendar.holidays, *calendar.workdays))
