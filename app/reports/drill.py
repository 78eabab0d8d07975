"""Drill-down: a tile, bar or slice links to its form's list with `_drill=<dashboard>.<widget>`,
the period's arguments and `_g=<group key as JSON>`; the list then shows exactly the records
the figure counted (through WidgetQuery.drill, the statement that counted them)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.reports.periods import Period, PeriodError, Refusal, parse_period
from app.spec import DashboardSpec, PortalSpec, WidgetSpec

DRILL, GROUP = "_drill", "_g"


class DrillError(Refusal):
    """A drill-down link that names no widget of the list's form, or a bad group or period."""


@dataclass(frozen=True)
class Drill:
    """What a drill-down link asks for."""

    board: DashboardSpec
    widget: WidgetSpec
    period: Period | None
    grouped: bool = False
    key: Any = None


def drill_args(board: DashboardSpec, widget: WidgetSpec, period: Period,
               grouped: bool = False, key: Any = None) -> dict[str, str]:
    """The list URL's arguments for a figure (the whole widget, or one group of it)."""
    args = {DRILL: f"{board.key}.{widget.key}", **(period.args() if widget.period else {})}
    if grouped:
        args[GROUP] = json.dumps(key.isoformat() if isinstance(key, dt.date) else key,
                                 ensure_ascii=False)
    return args


def parse_drill(spec: PortalSpec, form_key: str, args: Mapping[str, str],
                today: dt.date) -> Drill | None:
    """The drill-down a list URL asks for; None without one; DrillError when it is wrong."""
    name = args.get(DRILL)
    if name is None:
        return None
    board_key, _, widget_key = name.partition(".")
    board = spec.dashboard(board_key)
    widget = board.widget(widget_key) if board else None
    if board is None or widget is None or widget.form != form_key:
        raise DrillError("看板链接无效：找不到对应的统计项", "the dashboard link names no "
                         "figure of this list")
    period = None
    if widget.period:
        try:
            period = parse_period(args, board.period, today)
        except PeriodError as exc:
            raise DrillError(exc.zh, exc.en) from None
    if GROUP not in args:
        return Drill(board, widget, period)
    return Drill(board, widget, period, True, group_key(widget, args[GROUP]))


def group_key(widget: WidgetSpec, text: str) -> Any:
    bad = DrillError("看板链接中的分组无效", "the dashboard link's group cannot be read")
    if widget.group_by is None or len(text) > 400:
        raise bad
    try:
        key = json.loads(text)
    except ValueError:
        raise bad from None
    if isinstance(key, list | dict) or isinstance(key, float) and not key.is_integer():
        raise bad
    if widget.every is not None and key is not None:
        try:
            return dt.date.fromisoformat(str(key))
        except ValueError:
            raise bad from None
    if widget.group_by == "value" and not (isinstance(key, int) and
                                           0 <= key <= len(widget.bins)):
        raise bad
    return key
