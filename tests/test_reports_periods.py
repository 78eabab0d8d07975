"""Periods: the week from Monday, months of any length, the previous period, ranges, and
the messages for what cannot be read."""

from __future__ import annotations

import datetime as dt

import pytest

from app.reports.periods import PeriodError, buckets, parse_period, period_of

D = dt.date


def test_a_week_runs_monday_to_sunday_and_steps_by_seven_days() -> None:
    week = period_of("week", D(2026, 12, 9))
    assert (week.start, week.end, week.label()) == (D(2026, 12, 7), D(2026, 12, 14),
                                                    "2026-12-07 至 2026-12-13")
    assert week.previous().start == D(2026, 11, 30) and week.next().start == D(2026, 12, 14)


def test_months_step_by_calendar_month() -> None:
    march = period_of("month", D(2024, 3, 31))
    assert (march.start, march.end) == (D(2024, 3, 1), D(2024, 4, 1))
    assert (march.previous().start, march.previous().end) == (D(2024, 2, 1), D(2024, 3, 1))
    assert march.previous().days == 29 and march.label("en") == "March 2024"
    assert march.label() == "2024年3月"


def test_a_range_and_its_previous_range_of_the_same_length() -> None:
    span = parse_period({"period": "range", "from": "2026-12-01", "to": "2026-12-03"}, "week",
                        D(2026, 12, 9))
    assert (span.start, span.end, span.days) == (D(2026, 12, 1), D(2026, 12, 4), 3)
    assert (span.previous().start, span.previous().end) == (D(2026, 11, 28), D(2026, 12, 1))
    assert span.args() == {"period": "range", "from": "2026-12-01", "to": "2026-12-03"}


def test_buckets_cover_the_period_including_partial_weeks() -> None:
    month = period_of("month", D(2026, 12, 1))
    assert buckets(month, "week")[0] == D(2026, 11, 30) and len(buckets(month, "week")) == 5
    assert len(buckets(month, "day")) == 31 and buckets(month, "month") == [D(2026, 12, 1)]


@pytest.mark.parametrize("args, zh, en", [
    ({"period": "decade"}, "没有“decade”这种统计周期，可选：日、周、月或自定义日期",
     "'decade' is not a period; choose day, week, month or range"),
    ({"period": "day", "at": "2026-13-01"}, "日期“2026-13-01”不是日期，请写成 YYYY-MM-DD",
     "The date '2026-13-01' is not a date; write YYYY-MM-DD"),
    ({"period": "day", "at": "2026-12-01T10:00:00"},
     "日期“2026-12-01T10:00:00”不是日期，请写成 YYYY-MM-DD",
     "The date '2026-12-01T10:00:00' is not a date; write YYYY-MM-DD"),
    ({"period": "range", "to": "2026-12-01"}, "自定义周期需要开始日期和结束日期",
     "a range of dates needs a start date and an end date"),
    ({"period": "range", "from": "2026-12-02", "to": "2026-12-01"},
     "结束日期 2026-12-01 早于开始日期 2026-12-02",
     "the end date 2026-12-01 is before the start date 2026-12-02"),
    ({"period": "range", "from": "2020-01-01", "to": "2026-12-01"}, "自定义周期最长 731 天",
     "a range of dates may span at most 731 days"),
])
def test_what_cannot_be_read_is_said_in_both_languages(args, zh, en) -> None:
    with pytest.raises(PeriodError) as info:
        parse_period(args, "week", D(2026, 12, 9))
    assert (info.value.message("zh"), info.value.message("en")) == (zh, en)
