"""The period a dashboard or report counts: a day, a week (Monday to Sunday), a month or any
range of days; the previous period of the same kind; the day/week/month buckets within it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

KINDS = ("day", "week", "month", "range")
MAX_DAYS = 731  # a range longer than two years is refused (and would be a slow page)


class Refusal(ValueError):
    """Something a URL asks for that cannot be counted, said in both languages."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(zh)
        self.zh, self.en = zh, en

    def message(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh


class PeriodError(Refusal):
    """A period asked for in the URL that cannot be counted: the message says why."""


@dataclass(frozen=True)
class Period:
    kind: str
    start: dt.date
    end: dt.date  # exclusive

    @property
    def last(self) -> dt.date:
        return self.end - dt.timedelta(days=1)

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """[start, end) as date-times (a date-time column compares with these)."""
        return (dt.datetime.combine(self.start, dt.time()),
                dt.datetime.combine(self.end, dt.time()))

    def previous(self) -> Period:
        if self.kind == "month":
            return month_of(self.start - dt.timedelta(days=1))
        return Period(self.kind, self.start - dt.timedelta(days=self.days), self.start)

    def next(self) -> Period:
        if self.kind == "month":
            return month_of(self.end)
        return Period(self.kind, self.end, self.end + dt.timedelta(days=self.days))

    def label(self, lang: str = "zh") -> str:
        if self.kind == "day":
            return self.start.isoformat()
        if self.kind == "month":
            return (f"{self.start.year}年{self.start.month}月" if lang == "zh"
                    else self.start.strftime("%B %Y"))
        joint = " 至 " if lang == "zh" else " – "
        return f"{self.start.isoformat()}{joint}{self.last.isoformat()}"

    def span(self) -> str:
        """First and last day, in no language: what the audit log records."""
        return f"{self.start.isoformat()} – {self.last.isoformat()}"

    def args(self) -> dict[str, str]:
        """The URL arguments that name this period."""
        if self.kind == "range":
            return {"period": "range", "from": self.start.isoformat(),
                    "to": self.last.isoformat()}
        return {"period": self.kind, "at": self.start.isoformat()}


def month_of(day: dt.date) -> Period:
    start = day.replace(day=1)
    end = (start + dt.timedelta(days=32)).replace(day=1)
    return Period("month", start, end)


def period_of(kind: str, day: dt.date) -> Period:
    """The day, week or month holding `day`."""
    if kind == "day":
        return Period("day", day, day + dt.timedelta(days=1))
    if kind == "week":
        start = day - dt.timedelta(days=day.weekday())
        return Period("week", start, start + dt.timedelta(days=7))
    return month_of(day)


def _date(args: Mapping[str, str], key: str, what: tuple[str, str]) -> dt.date | None:
    text = (args.get(key) or "").strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text[:10]) if len(text) <= 10 else _bad(text, what)
    except ValueError:
        return _bad(text, what)


def _bad(text: str, what: tuple[str, str]) -> dt.date:
    raise PeriodError(f"{what[0]}“{text[:20]}”不是日期，请写成 YYYY-MM-DD",
                      f"{what[1]} '{text[:20]}' is not a date; write YYYY-MM-DD")


def parse_period(args: Mapping[str, str], default: str, today: dt.date) -> Period:
    """The period the URL asks for (period=day|week|month|range, at=, from=, to=); the
    default kind holding today when it asks for none. PeriodError for what cannot be read."""
    kind = (args.get("period") or default).strip()
    if kind not in KINDS:
        raise PeriodError(f"没有“{kind[:20]}”这种统计周期，可选：日、周、月或自定义日期",
                          f"'{kind[:20]}' is not a period; choose day, week, month or range")
    if kind != "range":
        return period_of(kind, _date(args, "at", ("日期", "The date")) or today)
    start, last = (_date(args, "from", ("开始日期", "The start date")),
                   _date(args, "to", ("结束日期", "The end date")))
    if start is None or last is None:
        raise PeriodError("自定义周期需要开始日期和结束日期",
                          "a range of dates needs a start date and an end date")
    if last < start:
        raise PeriodError(f"结束日期 {last} 早于开始日期 {start}",
                          f"the end date {last} is before the start date {start}")
    if (last - start).days + 1 > MAX_DAYS:
        raise PeriodError(f"自定义周期最长 {MAX_DAYS} 天",
                          f"a range of dates may span at most {MAX_DAYS} days")
    return Period("range", start, last + dt.timedelta(days=1))


def buckets(period: Period, every: str) -> list[dt.date]:
    """The first day of each day, week (Monday) or month bucket overlapping the period."""
    out: list[dt.date] = []
    day = period_of(every, period.start).start
    while day < period.end:
        out.append(day)
        day = period_of(every, day).end
    return out


def bucket_label(day: dt.date, every: str) -> str:
    return day.strftime("%Y-%m") if every == "month" else day.strftime("%m-%d")
