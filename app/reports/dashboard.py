"""A dashboard's figures for one viewer and period: each widget they may see, counted in the
database within their row scope, this period beside the previous one, groups named as
people read them (a choice's label, a handler's name, a complaint's title)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask_appbuilder.security.sqla.models import User
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.titles import title
from app.portal import Portal
from app.reports.periods import Period, bucket_label, buckets
from app.reports.query import TEAM, Row, WidgetQuery
from app.reports.sql import Compiler
from app.security.teams import Team
from app.spec import DashboardSpec, Label, WidgetSpec

NO_VALUE = Label("（未填写）", "(empty)")
YES_NO = {True: Label("是", "Yes"), False: Label("否", "No")}


@dataclass
class Series:
    """A chart's groups: keys (for drill-down), labels, this period's and the previous one's."""

    keys: list[Any] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    values: list[float | None] = field(default_factory=list)
    previous: list[float | None] | None = None


@dataclass
class Figure:
    """One widget's result: a tile's value (and the previous period's) or a chart's series."""

    widget: WidgetSpec
    value: float | None = None
    previous: float | None = None
    count: int = 0
    hits: int = 0
    series: Series | None = None

    @property
    def change(self) -> float | None:
        """The change from the previous period in percent (None: nothing to compare)."""
        if self.value is None or not self.previous:
            return None
        return round(100.0 * (self.value - self.previous) / abs(self.previous), 1)


@dataclass
class Viewer:
    """Whose figures: the forms they may list and their row scope on each (None: all)."""

    forms: set[str]
    scope: Callable[[str, Any], Any]  # (form key, model) → SQL condition or None
    filters: dict[str, str] = field(default_factory=dict)  # the page's choice filters


def run_dashboard(session: Session, portal: Portal, board: DashboardSpec, period: Period,
                  viewer: Viewer, now: dt.datetime, lang: str) -> list[Figure]:
    return [run_widget(session, portal, w, period, viewer, now, lang)
            for w in board.widgets if w.form in viewer.forms]


def widget_query(session: Session, portal: Portal, widget: WidgetSpec, viewer: Viewer,
                 now: dt.datetime) -> WidgetQuery:
    dialect = session.get_bind().dialect.name
    compiler = Compiler(portal, portal.spec.form(widget.form), dialect, now)
    return WidgetQuery(compiler, widget, portal.spec.calendar,
                       viewer.scope(widget.form, compiler.model), viewer.filters)


def run_widget(session: Session, portal: Portal, widget: WidgetSpec, period: Period,
               viewer: Viewer, now: dt.datetime, lang: str) -> Figure:
    query = widget_query(session, portal, widget, viewer, now)
    rows = query.rows(session, period)
    compare = widget.compare and widget.period
    before = query.rows(session, period.previous()) if compare else None
    if widget.group_by is None:
        return Figure(widget, rows[0].value, before[0].value if before else None,
                      rows[0].count, rows[0].hits)
    return Figure(widget, series=series(session, portal, widget, period, rows, before, lang))


def series(session: Session, portal: Portal, widget: WidgetSpec, period: Period,
           rows: list[Row], before: list[Row] | None, lang: str) -> Series:
    keys: list[Any]
    if widget.every is not None:  # every bucket of the period, empty ones too
        keys = buckets(period, widget.every)
    elif widget.group_by == "value":
        keys = list(range(len(widget.bins) + 1))
    elif rating_scale(portal, widget):  # every score of a rating, unused ones too
        keys = list(rating_scale(portal, widget))
    else:
        keys = [r.key for r in rows]
        if widget.top is None:
            keys = sorted(keys, key=lambda k: order_of(portal, widget, k))
    found = {r.key: r.value for r in rows}
    out = Series(keys, group_labels(session, portal, widget, keys, lang),
                 [found.get(k, 0 if widget.measure in ("count", "sum") else None)
                  for k in keys])
    if before is not None:
        earlier = {r.key: r.value for r in before}
        if widget.every is not None:  # the previous period's buckets, position by position
            shifted = buckets(period.previous(), widget.every)
            out.previous = [earlier.get(k, 0 if widget.measure in ("count", "sum") else None)
                            for k in shifted[:len(keys)]]
        else:
            out.previous = [earlier.get(k, 0 if widget.measure in ("count", "sum") else None)
                            for k in keys]
    return out


def rating_scale(portal: Portal, widget: WidgetSpec) -> range:
    """1..max of a rating field grouped by (empty range for anything else)."""
    form = portal.spec.form(widget.form)
    field = next((f for f in form.fields if f.key == widget.group_by), None)
    if field is None or field.type != "rating" or widget.top:
        return range(0)
    return range(int(field.min or 1), int(field.max or 5) + 1)


def order_of(portal: Portal, widget: WidgetSpec, key: Any) -> tuple:
    """Groups of a choice or state in their declared order; others by key; empty last."""
    form = portal.spec.form(widget.form)
    names: list[Any] = []
    if widget.group_by == "state" and form.workflow:
        names = [s.key for s in form.workflow.states]
    elif widget.group_by in {f.key for f in form.fields}:
        names = [c.value for c in form.field(str(widget.group_by)).choices]
    if key is None:
        return (2, 0, "")
    if key in names:
        return (0, names.index(key), "")
    return (1, 0, str(key)) if not isinstance(key, int | float) else (1, key, "")


def group_labels(session: Session, portal: Portal, widget: WidgetSpec, keys: list[Any],
                 lang: str) -> list[str]:
    form = portal.spec.form(widget.form)
    group = str(widget.group_by)
    if widget.every is not None:
        return [bucket_label(k, widget.every) for k in keys]
    if group == "value":
        return bin_labels(widget, lang)
    fields = {f.key: f for f in form.fields}
    spec = fields.get(group)
    named: dict[Any, str] = {}
    if group == TEAM and spec is None:
        named = {t.id: str(t.name) for t in session.execute(select(Team)).scalars()}
    elif group == "state" and form.workflow:
        named = {s.key: s.label.get(lang) for s in form.workflow.states}
    elif spec is not None and spec.type == "user":
        ids = [k for k in keys if k is not None]
        for user in session.execute(select(User).where(User.id.in_(ids))).scalars():
            named[user.id] = (user.get_full_name() or "").strip() or str(user.username)
    elif spec is not None and spec.type == "reference":
        model = portal.model(str(spec.form))
        ids = [k for k in keys if k is not None]
        for row in session.execute(select(model).where(model.id.in_(ids))).scalars():
            named[row.id] = title(row)
    elif spec is not None and spec.type == "boolean":
        named = {k: YES_NO[bool(k)].get(lang) for k in keys if k is not None}
    elif spec is not None and spec.choices:
        named = {c.value: c.label.get(lang) for c in spec.choices}
    elif group in {c.key for c in form.computed}:
        named = {c.value: c.label.get(lang) for c in next(
            x for x in form.computed if x.key == group).choices}
    return [NO_VALUE.get(lang) if k is None else named.get(k, format_key(k)) for k in keys]


def format_key(key: Any) -> str:
    if isinstance(key, float) and key.is_integer():
        return str(int(key))
    return str(key)


def bin_labels(widget: WidgetSpec, lang: str) -> list[str]:
    unit = {"days": ("天", " d"), "hours": ("小时", " h")}[
        widget.duration.unit if widget.duration else "hours"] if widget.duration else ("", "")
    word = unit[0] if lang == "zh" else unit[1]
    edges = [format_key(b) for b in widget.bins]
    out = [f"≤{edges[0]}{word}"]
    out += [f"{a}–{b}{word}" for a, b in zip(edges, edges[1:], strict=False)]
    return out + [f">{edges[-1]}{word}"]
