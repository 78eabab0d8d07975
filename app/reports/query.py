"""One widget's figures as one GROUP BY statement built from the spec: its records (row scope,
`where`, the period), its measure, its groups. The same records drill down to the list."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    Date,
    Float,
    Integer,
    and_,
    case,
    cast,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.orm import Session, aliased

from app.db.worktime import calendar_seconds, working_seconds
from app.reports.periods import Period, period_of
from app.reports.sql import Compiler, name_type
from app.security.teams import team_member
from app.spec import CalendarSpec, WidgetSpec

TEAM = "team"  # group_by: team — by the teams of the records' creators and assignees


@dataclass(frozen=True)
class Row:
    """One group's figure: its key (None for a tile), the measure, the records counted and,
    for a rate, how many met it."""

    key: Any
    value: float | None
    count: int
    hits: int = 0


@dataclass
class WidgetQuery:
    """The statements of one widget for one viewer (row scope) and moment."""

    compiler: Compiler
    widget: WidgetSpec
    calendar: CalendarSpec
    scope: Any = None  # the viewer's row scope clause (None: every record)
    filters: dict[str, str] = field(default_factory=dict)  # the page's choice filters

    def __post_init__(self) -> None:
        self.joins: list[tuple[Any, Any]] = []
        self.value = self.measured()

    @property
    def by_team(self) -> bool:
        """group_by: team (and no field of that name): by the teams of the records'
        creators and assignees, each record once per team."""
        return self.widget.group_by == TEAM and TEAM not in self.compiler.fields

    def team_pairs(self) -> tuple[Any, Any]:
        """SELECT DISTINCT (record id, team id) for every team a record's creator or
        assignee is in, and the aliased record it reads."""
        model, form = self.compiler.model, self.compiler.form
        record = aliased(model)
        users = [record.created_by_fk] + [getattr(record, f.column) for f in form.fields
                                          if f.assignee]
        pairs = select(record.id.label("rid"), team_member.c.team_id.label("team_id")) \
            .distinct().join(team_member, or_(*[team_member.c.user_id == u for u in users]))
        return pairs, record

    def team_join(self, period: Period | None) -> list[tuple[Any, Any]]:
        """The (record, team) pairs of the records counted in the period only, read from
        those records: the statement reads the period's rows, not the table's (records of
        no team drop out)."""
        model, form = self.compiler.model, self.compiler.form
        users = [model.created_by_fk] + [getattr(model, f.column) for f in form.fields
                                         if f.assignee]
        pairs = self.select_from(select(model.id.label("rid"),
                                        team_member.c.team_id.label("team_id")).distinct(),
                                 [(team_member, or_(*[team_member.c.user_id == u
                                                      for u in users]))])
        mapped = pairs.where(*self.records(period)).subquery("record_team")
        return [(mapped, mapped.c.rid == model.id)]

    # -- parts ---------------------------------------------------------------------------
    def measured(self) -> Any:
        """The number measured (duration in its unit, field or computed value) or None."""
        w, c = self.widget, self.compiler
        if w.duration is not None:
            start, end = c.column(w.duration.start), c.column(w.duration.end)
            if w.duration.working:
                seconds, joins = working_seconds(start, end, c.dialect, self.calendar)
                self.joins.extend(joins)
            else:
                seconds = calendar_seconds(start, end, c.dialect)
            return cast(seconds, Float) / w.duration.seconds
        return c.column(w.field_key) if w.field_key else None

    def records(self, period: Period | None) -> list[Any]:
        """The conditions a record meets to be counted (the row scope aside)."""
        w, c = self.widget, self.compiler
        out = [] if self.scope is None else [self.scope]
        out += [c.column(key) == value for key, value in self.filters.items()
                if key in c.fields and c.fields[key].type == "choice"]
        if w.where is not None:
            out.append(c.truth(w.where.tree))
        if period is not None and w.period:
            out.extend(self.within(c.column(w.date), period.start, period.end, w.date))
        if self.value is not None and w.measure not in ("count", "rate"):
            out.append(self.value.is_not(None))
        if self.value is not None and w.group_by == "value":
            out.append(self.value.is_not(None))
        return out

    def within(self, column: Any, start: dt.date, end: dt.date, name: str) -> list[Any]:
        if name_type(self.compiler, name) == "date":
            return [column >= start, column < end]
        return [column >= dt.datetime.combine(start, dt.time()),
                column < dt.datetime.combine(end, dt.time())]

    def group(self) -> Any:
        w, c = self.widget, self.compiler
        if w.group_by is None:
            return None
        if w.group_by == "value":
            return case(*((self.value <= b, literal(i)) for i, b in enumerate(w.bins)),
                        else_=literal(len(w.bins)))
        column = c.column(w.group_by)
        if w.every is None:
            return column
        return bucket(column, w.every, c.dialect)

    def select_from(self, stmt: Any, inner: list[tuple[Any, Any]] | None = None) -> Any:
        stmt = stmt.select_from(self.compiler.model)
        for alias, on in inner or ():
            stmt = stmt.join(alias, on)
        for alias, on in self.joins:
            stmt = stmt.outerjoin(alias, on)
        return stmt

    # -- statements ----------------------------------------------------------------------
    def statement(self, period: Period | None) -> Any:
        w, inner = self.widget, self.team_join(period) if self.by_team else []
        group = inner[0][0].c.team_id if inner else self.group()
        if w.measure == "p90":
            return self.percentile(period, group, inner)
        hits = func.sum(case((self.compiler.truth(w.rate.tree), 1), else_=0)) \
            if w.rate is not None else literal(0)
        measure = {
            "count": func.count(), "sum": func.sum(self.value), "avg": func.avg(self.value),
            "min": func.min(self.value), "max": func.max(self.value), "rate": hits,
        }[w.measure]
        columns = [measure.label("value"), func.count().label("n"), hits.label("hits")]
        stmt = self.select_from(select(*([group.label("g")] if group is not None else []),
                                       *columns), inner).where(*self.records(period))
        if group is None:
            return stmt
        stmt = stmt.group_by(group)
        if w.top:
            stmt = stmt.order_by(measure.desc(), group).limit(w.top)
        return stmt

    def percentile(self, period: Period | None, group: Any,
                   inner: list[tuple[Any, Any]] | None = None) -> Any:
        """The 90th percentile by nearest rank: the value at rank ceil(0.9 n) of each group."""
        parts = {"partition_by": group} if group is not None else {}
        ranked = self.select_from(select(
            (group if group is not None else literal(0)).label("g"), self.value.label("v"),
            func.row_number().over(order_by=self.value, **parts).label("rn"),
            func.count().over(**parts).label("n"),
        ), inner).where(*self.records(period)).subquery()
        stmt = select(ranked.c.g, func.min(ranked.c.v).label("value"),
                      func.max(ranked.c.n).label("n"), literal(0).label("hits")).where(
            ranked.c.rn == (ranked.c.n * 9 + 9) // 10).group_by(ranked.c.g)
        if self.widget.top:
            stmt = stmt.order_by(func.min(ranked.c.v).desc()).limit(self.widget.top)
        return stmt

    def rows(self, session: Session, period: Period | None) -> list[Row]:
        out = []
        grouped = self.widget.group_by is not None
        for row in session.execute(self.statement(period)).all():
            mapping = row._mapping
            key = normal_key(mapping["g"], self.widget.every) if grouped else None
            value = mapping["value"]
            n, hits = int(mapping["n"] or 0), int(mapping["hits"] or 0)
            if self.widget.measure == "rate":
                value = round(100.0 * hits / n, 1) if n else None
            elif self.widget.measure == "count" or (self.widget.measure == "sum" and
                                                     value is None):
                value = n if self.widget.measure == "count" else 0
            out.append(Row(key, None if value is None else float(value), n, hits))
        if not grouped and not out:
            out.append(Row(None, 0.0 if self.widget.measure == "sum" else None, 0))
        if not grouped and self.widget.measure == "count":
            out = [Row(None, float(out[0].count), out[0].count)]
        return out

    # -- drill-down ----------------------------------------------------------------------
    def drill(self, period: Period | None, key: Any = None, grouped: bool = False) -> Any:
        """The records counted (in the group `key` when `grouped`), as a condition on ids:
        the list screen shows exactly these (its own row scope applies on top)."""
        w, c = self.widget, self.compiler
        conditions = self.records(period)
        if w.rate is not None:
            conditions.append(c.truth(w.rate.tree))
        if grouped:
            conditions.append(self.in_group(key))
        ids = self.select_from(select(c.model.id)).where(*conditions)
        return c.model.id.in_(ids)

    def in_group(self, key: Any) -> Any:
        w, c = self.widget, self.compiler
        if self.by_team:
            pairs, _ = self.team_pairs()
            mapped = pairs.subquery("record_team")
            return c.model.id.in_(select(mapped.c.rid).where(mapped.c.team_id == key))
        group = self.group()
        if key is None:
            return group.is_(None)
        if w.every is not None:
            start = key if isinstance(key, dt.date) else dt.date.fromisoformat(str(key))
            name = str(w.group_by)
            return and_(*self.within(c.column(name), start, period_of(w.every, start).end,
                                     name))
        return group == key


def bucket(column: Any, every: str, dialect: str) -> Any:
    """The first day of the day, week (Monday) or month holding a date or date-time."""
    if dialect == "postgresql":
        return cast(func.date_trunc(every, column), Date)
    if every == "day":
        return func.date(column)
    if every == "month":
        return func.strftime("%Y-%m-01", column)
    shift = (cast(func.strftime("%w", column), Integer) + 6) % 7  # days since Monday
    return func.date(column, func.printf("-%d days", shift))


def normal_key(value: Any, every: str | None) -> Any:
    """A group key as Python gives it on both databases (dates as dates)."""
    if every is not None and value is not None:
        if isinstance(value, dt.datetime):
            return value.date()
        return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value

