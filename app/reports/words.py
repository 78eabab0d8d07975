"""How a dashboard's figures read: units (件, %, 小时, 元, 分) and numbers as people write them."""

from __future__ import annotations

from typing import Any

from app.reports.dashboard import Figure
from app.spec import FormSpec, Label, WidgetSpec

COUNT = Label("件", "")
PERCENT = Label("%", "%")
UNITS = {"hours": Label("小时", "h"), "days": Label("天", "d")}
FIELD_UNITS = {"money": Label("元", "CNY"), "rating": Label("分", "pts")}
NONE = Label("", "")


def unit_of(widget: WidgetSpec, form: FormSpec) -> Label:
    if widget.measure == "rate":
        return PERCENT
    if widget.duration is not None and widget.group_by != "value":
        return UNITS[widget.duration.unit]
    if widget.measure == "count":
        return COUNT
    if widget.field_key and widget.field_key in {f.key for f in form.fields}:
        return FIELD_UNITS.get(form.field(widget.field_key).type, NONE)
    return NONE


def figure_text(value: float | None, widget: WidgetSpec, form: FormSpec, lang: str) -> str:
    """A tile's number: whole counts with thousands separators, money with two decimals,
    everything else with one; '—' when there is nothing to measure."""
    if value is None:
        return "—"
    if widget.measure == "count":
        return f"{int(value):,}"
    field = form.field(widget.field_key) if widget.field_key in {
        f.key for f in form.fields} else None
    if field is not None and field.type == "money" and widget.measure in ("sum", "min", "max"):
        return f"{value:,.2f}"
    return f"{value:,.1f}"


def figure_change(fig: Figure, lang: str) -> dict[str, Any]:
    """The change from the previous period: in points for a rate, else in percent."""
    w = fig.widget
    if not (w.compare and w.period) or fig.value is None or fig.previous is None:
        return {"change": None, "change_text": ""}
    if w.measure == "rate":
        delta = round(fig.value - fig.previous, 1)
        text = f"{delta:+.1f} " + Label("个百分点", "points").get(lang)
    elif fig.change is None:
        return {"change": None, "change_text": ""}
    else:
        delta = fig.change
        text = f"{delta:+.1f}%"
    return {"change": delta, "change_text": text}
