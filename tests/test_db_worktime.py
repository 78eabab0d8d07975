"""Working time in SQL (app/db/worktime.py): working_seconds equals a minute-by-minute count in
Python over the shipped calendar (2026's holidays and 调休) for 200 random intervals and the
edge cases, with and without office hours, on SQLite and (in CI) PostgreSQL; the calendar's
rows are rebuilt once per calendar change, also when two processes start together."""

from __future__ import annotations

import datetime as dt
import random
import threading
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from app.config.load import load_spec
from app.db.worktime import (
    FIRST,
    LAST,
    Workday,
    WorkdaySource,
    calendar_fingerprint,
    calendar_seconds,
    outer_joined,
    sync_workdays,
    working_seconds,
)
from app.portal import portal_of
from app.spec import CalendarDay, CalendarSpec
from tests.support.app import CONFIG, Databases

SHIPPED = load_spec(str(CONFIG)).calendar  # 09:00–12:00, 13:30–18:00; 2026's arrangement
WHOLE_DAYS = replace(SHIPPED, hours=())
BASE = dt.datetime(2025, 12, 1)  # the reference counts minutes from here …
SPAN = 430  # … for this many days
T = dt.datetime
METADATA = sa.MetaData()
CASES = sa.Table("wt_case", METADATA,
                 sa.Column("id", sa.Integer, primary_key=True),
                 sa.Column("grp", sa.Integer, nullable=False),
                 sa.Column("started", sa.DateTime, nullable=False),
                 sa.Column("ended", sa.DateTime),
                 sa.Column("started_day", sa.Date, nullable=False),
                 sa.Column("ended_day", sa.Date))
EDGES = [  # (start, end) beyond the random ones
    (T(2026, 3, 3, 10), T(2026, 3, 3, 10)),  # equal, in office hours
    (T(2026, 3, 3, 12, 30), T(2026, 3, 3, 12, 30)),  # equal, at lunch
    (T(2026, 10, 3, 9), T(2026, 10, 3, 9)),  # equal, on a holiday
    (T(2026, 3, 3, 12, 15), T(2026, 3, 3, 13, 45)),  # lunch to lunch's end and on
    (T(2026, 3, 3, 12, 5, 7), T(2026, 3, 4, 12, 59, 59)),  # lunch to the next day's lunch
    (T(2026, 3, 3, 9), T(2026, 3, 3, 18)),  # one office day, to the second
    (T(2026, 3, 3, 8, 59, 59), T(2026, 3, 3, 18, 0, 1)),
    (T(2026, 3, 3), T(2026, 3, 4)),  # midnight to midnight
    (T(2026, 3, 3, 23, 59, 59), T(2026, 3, 4)),
    (T(2026, 10, 3, 10), T(2026, 10, 10, 10)),  # 国庆 holiday to its 调休 Saturday
    (T(2026, 2, 14, 10, 30), T(2026, 2, 15, 10, 30)),  # a 调休 Saturday into 春节
    (T(2026, 2, 13, 17), T(2026, 2, 24, 9, 30)),  # across the whole of 春节
    (T(2026, 9, 19, 11), T(2026, 9, 21, 9, 1)),  # Saturday, 调休 Sunday, Monday
    (T(2025, 12, 31, 17, 30), T(2026, 1, 5, 9, 30)),  # 元旦 and its 调休 Sunday
    (T(2026, 12, 31, 16), T(2027, 1, 4, 10)),  # into a year the calendar does not list
    (T(2026, 5, 6, 10), T(2026, 4, 30, 17)),  # backwards, over 劳动节
    (T(2026, 6, 20, 15), T(2026, 6, 21, 16)),  # both on holidays
]
FRACTIONS = [  # sub-second parts are dropped: the moments count from their whole second
    (T(2026, 3, 3, 10, 0, 0, 250000), T(2026, 3, 3, 10, 0, 1, 999000)),
    (T(2026, 3, 3, 11, 59, 59, 500000), T(2026, 3, 3, 13, 30, 0, 1)),
]


def _random_pairs(count: int = 200) -> list[tuple[dt.datetime, dt.datetime | None]]:
    """Seeded: spans from seconds to 40 days, some backwards, some starting or ending at
    lunch, on a weekend, at midnight; 1 in 20 has no end."""
    rng = random.Random(2026)
    pairs: list[tuple[dt.datetime, dt.datetime | None]] = []
    for i in range(count):
        start = BASE + dt.timedelta(days=25, seconds=rng.randrange(360 * 86400))
        span = rng.choice([3600, 86400, 3 * 86400, 10 * 86400, 40 * 86400])
        end: dt.datetime | None = start + dt.timedelta(seconds=rng.randrange(-span // 4, span))
        if i % 7 == 0:
            start = start.replace(hour=12, minute=rng.randrange(60))  # at lunch
        if i % 11 == 0:
            start = start.replace(hour=0, minute=0, second=0)
        if i % 13 == 0:
            end = start.replace(hour=13, minute=rng.randrange(30)) + dt.timedelta(days=2)
        if i % 20 == 0:
            end = None
        pairs.append((start, end))
    return pairs


PAIRS = _random_pairs() + EDGES + [(T(2014, 12, 31, 10), T(2015, 1, 2, 10)),  # out of range
                                   (T(2045, 12, 31, 10), T(2046, 1, 1, 10))]


def minute_mask(calendar: CalendarSpec) -> bytearray:
    """1 for each minute from BASE on that the clock runs: CalendarSpec.is_working_day and
    the office hours, minute by minute (nothing shared with the module under test)."""
    office = bytearray(1440)
    for minute in range(1440):
        office[minute] = not calendar.hours or any(a <= minute < b for a, b in calendar.hours)
    shut = bytearray(1440)
    mask = bytearray()
    for offset in range(SPAN):
        day = (BASE + dt.timedelta(days=offset)).date()
        mask += office if calendar.is_working_day(day) else shut
    return mask


def reference(mask: bytearray, start: dt.datetime, end: dt.datetime) -> int:
    """Working seconds from start to end, counted minute by minute in the mask (the partial
    minutes at either end by their seconds)."""
    if end < start:
        return -reference(mask, end, start)
    first = int((start.replace(microsecond=0) - BASE).total_seconds())
    last = int((end.replace(microsecond=0) - BASE).total_seconds())
    m0, m1 = first // 60, last // 60
    assert m0 >= 0 and m1 < len(mask), (start, end)
    if m0 == m1:
        return (last - first) * mask[m0]
    return ((60 - first % 60) * mask[m0] + 60 * sum(mask[m0 + 1:m1])
            + (last % 60) * mask[m1])


def in_range(*moments: dt.datetime | dt.date | None) -> bool:
    return all(m is not None and FIRST <= (m.date() if isinstance(m, dt.datetime) else m)
               <= LAST for m in moments)


@pytest.fixture(scope="module")
def engine(databases: Databases) -> Iterator[sa.Engine]:
    """A fresh database (SQLite, or a PostgreSQL schema) with portal_workday and the cases."""
    engine = sa.create_engine(databases.new())
    with engine.begin() as conn:
        Workday.__table__.create(conn)
        WorkdaySource.__table__.create(conn)
        METADATA.create_all(conn)
        conn.execute(CASES.insert(), [
            {"id": i, "grp": i % 4, "started": s, "ended": e, "started_day": s.date(),
             "ended_day": e and e.date()} for i, (s, e) in enumerate(PAIRS + FRACTIONS)])
    yield engine
    engine.dispose()


def _sync(engine: sa.Engine, calendar: CalendarSpec, **kw: Any) -> bool:
    with engine.begin() as conn:
        return sync_workdays(conn, calendar, **kw)


def _by_id(engine: sa.Engine, value: Any, joins: list | None = None) -> dict[int, Any]:
    query = sa.select(CASES.c.id, value).select_from(outer_joined(CASES, joins or []))
    with engine.connect() as conn:
        return {i: None if v is None else int(v) for i, v in conn.execute(query)}


def _statements(engine: sa.Engine) -> tuple[list[str], Any]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    return seen, lambda: sa.event.remove(engine, "before_cursor_execute", record)


@pytest.mark.parametrize("calendar", [SHIPPED, WHOLE_DAYS], ids=["office hours", "whole days"])
def test_working_seconds_equal_a_minute_by_minute_count(engine: sa.Engine,
                                                        calendar: CalendarSpec) -> None:
    _sync(engine, calendar)
    mask = minute_mask(calendar)
    dialect = engine.dialect.name
    times = working_seconds(CASES.c.started, CASES.c.ended, dialect, calendar)
    days = working_seconds(CASES.c.started_day, CASES.c.ended_day, dialect, calendar)
    mixed = working_seconds(CASES.c.started, CASES.c.ended_day, dialect, calendar)
    cases = list(enumerate(PAIRS + FRACTIONS))
    assert _by_id(engine, *times) == {
        i: reference(mask, s, e) if in_range(s, e) else None for i, (s, e) in cases}
    assert _by_id(engine, *days) == {
        i: reference(mask, T.combine(s.date(), dt.time()), T.combine(e.date(), dt.time()))
        if in_range(s, e) else None for i, (s, e) in cases}
    assert _by_id(engine, *mixed) == {
        i: reference(mask, s, T.combine(e.date(), dt.time())) if in_range(s, e) else None
        for i, (s, e) in cases}


def test_the_office_hours_count_as_documented() -> None:
    """Hand-counted spot checks of the reference itself (09:00–12:00, 13:30–18:00)."""
    mask = minute_mask(SHIPPED)
    assert reference(mask, T(2026, 3, 3, 12, 15), T(2026, 3, 3, 13, 45)) == 15 * 60
    assert reference(mask, T(2026, 3, 3), T(2026, 3, 4)) == 7.5 * 3600
    assert reference(mask, T(2026, 10, 3, 10), T(2026, 10, 10, 10)) == (7.5 * 2 + 1) * 3600
    assert reference(mask, T(2026, 3, 3, 10, 0, 0, 250000), T(2026, 3, 3, 10, 0, 1, 999000)) == 1


def test_calendar_seconds_are_wall_clock_seconds(engine: sa.Engine) -> None:
    dialect = engine.dialect.name

    def whole(moment: dt.datetime) -> dt.datetime:
        return moment.replace(microsecond=0)

    cases = list(enumerate(PAIRS + FRACTIONS))
    assert _by_id(engine, calendar_seconds(CASES.c.started, CASES.c.ended, dialect)) == {
        i: None if e is None else int((whole(e) - whole(s)).total_seconds()) for i, (s, e) in cases}
    assert _by_id(engine, calendar_seconds(CASES.c.started_day, CASES.c.ended_day, dialect)) == {
        i: None if e is None else (e.date() - s.date()).days * 86400 for i, (s, e) in cases}


def test_an_average_by_group_is_one_statement(engine: sa.Engine) -> None:
    _sync(engine, SHIPPED)
    mask = minute_mask(SHIPPED)
    dialect = engine.dialect.name
    working, joins = working_seconds(CASES.c.started, CASES.c.ended, dialect, SHIPPED)
    plain = calendar_seconds(CASES.c.started, CASES.c.ended, dialect)
    query = (sa.select(CASES.c.grp, sa.func.avg(working), sa.func.avg(plain),
                       sa.func.count(working))
             .select_from(outer_joined(CASES, joins)).group_by(CASES.c.grp).order_by(CASES.c.grp))
    seen, stop = _statements(engine)
    try:
        with engine.connect() as conn:
            rows = conn.execute(query).all()
    finally:
        stop()
    assert len(seen) == 1
    for grp, avg_working, avg_plain, counted in rows:
        pairs = [(s, e) for i, (s, e) in enumerate(PAIRS + FRACTIONS) if i % 4 == grp]
        expected = [reference(mask, s, e) for s, e in pairs if in_range(s, e)]
        walls = [(e.replace(microsecond=0) - s.replace(microsecond=0)).total_seconds()
                 for s, e in pairs if e is not None]
        assert counted == len(expected)
        assert float(avg_working) == pytest.approx(sum(expected) / len(expected), rel=1e-12)
        assert float(avg_plain) == pytest.approx(sum(walls) / len(walls), rel=1e-12)


def test_sync_writes_nothing_when_the_calendar_is_unchanged(engine: sa.Engine) -> None:
    _sync(engine, SHIPPED)
    seen, stop = _statements(engine)
    try:
        assert _sync(engine, SHIPPED) is False
        renamed = replace(SHIPPED, holidays=tuple(replace(d, label="假日")
                                                  for d in SHIPPED.holidays))
        assert _sync(engine, renamed) is False  # labels are not what the rows depend on
    finally:
        stop()
    assert len(seen) == 2 and all(s.lstrip().upper().startswith("SELECT") for s in seen)


def _row(engine: sa.Engine, day: dt.date) -> tuple[bool, int]:
    table = Workday.__table__
    with engine.connect() as conn:
        found = conn.execute(sa.select(table.c.working, table.c.before_seconds)
                             .where(table.c.day == day)).one()
    return bool(found.working), int(found.before_seconds)


def test_a_changed_calendar_rebuilds_the_rows(engine: sa.Engine) -> None:
    _sync(engine, SHIPPED)
    tuesday, wednesday = dt.date(2026, 3, 3), dt.date(2026, 3, 4)
    assert _row(engine, tuesday)[0] and _row(engine, wednesday)[0]
    before = _row(engine, wednesday)[1]
    closed = replace(SHIPPED, holidays=(*SHIPPED.holidays, CalendarDay(tuesday, "停电")))
    with Session(engine) as session:  # a Session serves as well as a Connection
        assert sync_workdays(session, closed) is True
        session.commit()
    assert _row(engine, tuesday) == (False, before - 27000)  # the days before it: as they were
    assert _row(engine, wednesday) == (True, before - 27000)  # one office day less before it
    with engine.connect() as conn:
        table = WorkdaySource.__table__
        assert conn.execute(sa.select(table.c.name, table.c.fingerprint)).all() == [
            ("calendar", calendar_fingerprint(closed))]
        days = Workday.__table__
        assert conn.execute(sa.select(sa.func.count(), sa.func.min(days.c.day),
                                      sa.func.max(days.c.day))).one() == (11323, FIRST, LAST)
    assert _sync(engine, SHIPPED) is True and _row(engine, wednesday)[1] == before
    assert _sync(engine, SHIPPED, last=dt.date(2030, 12, 31)) is True  # another range
    assert _sync(engine, SHIPPED) is True
    with pytest.raises(ValueError, match="1970-01-01 <= first <= last"):
        _sync(engine, SHIPPED, first=dt.date(1969, 12, 31))


def test_two_processes_starting_together_rebuild_once(engine: sa.Engine) -> None:
    _sync(engine, SHIPPED)
    moved = replace(SHIPPED, weekend=(6,))  # Saturdays worked from now on
    barrier = threading.Barrier(2)
    rebuilt: list[bool] = []
    errors: list[BaseException] = []

    def start() -> None:
        try:
            with engine.begin() as conn:
                barrier.wait(timeout=10)
                rebuilt.append(sync_workdays(conn, moved))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == [] and sorted(rebuilt) == [False, True]
    assert _row(engine, dt.date(2026, 3, 7))[0]  # a Saturday
    assert _sync(engine, SHIPPED) is True


def test_a_migrated_app_serves_with_its_calendar_rows(app: Flask) -> None:
    """The test apps (like run.py, `flask portal migrate` and wsgi.py) sync on start; the
    Alembic revision creates what the models declare."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    mine = sa.MetaData()
    for table in (Workday.__table__, WorkdaySource.__table__):
        table.to_metadata(mine)
    calendar = portal_of(app).spec.calendar
    with app.app_context():
        session = app.appbuilder.session  # FAB's scoped session serves too
        assert sync_workdays(session, replace(calendar, weekend=(6,))) is True
        session.rollback()  # the rows stay those of the app's calendar
    with app.app_context(), app.extensions["migrate"].db.engine.begin() as conn:
        assert sync_workdays(conn, calendar) is False
        assert conn.execute(sa.select(sa.func.count()).select_from(Workday.__table__)
                            ).scalar() == 11323
        context = MigrationContext.configure(conn, opts={
            "compare_type": True,
            "include_name": lambda name, kind, _parent: kind != "table" or name in mine.tables})
        assert compare_metadata(context, mine) == []
