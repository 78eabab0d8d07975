"""How the workflow's system columns look on the generated screens: the state as a coloured
badge (and a select of states in the search form), SLA deadlines with overdue highlighted."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_appbuilder.models.filters import BaseFilter
from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from app.sla.deadlines import CLOCKS, now
from app.spec import SLA_COLUMNS, STATE_COLUMN, Choice, FieldSpec, FormSpec, Label

# Bootstrap 3 has six label styles; the other colours get an inline background.
COLOUR_CSS = {"grey": "#777777", "blue": "#337ab7", "teal": "#1b9e9e", "green": "#3c8d3c",
              "orange": "#e08e0b", "red": "#c9302c", "purple": "#7a4fb5"}
STATE_LABEL = Label("状态", "State")


def state_field(form: FormSpec) -> FieldSpec | None:
    """The state as a choice field (for search selects and export labels)."""
    if form.workflow is None:
        return None
    return FieldSpec(STATE_COLUMN, STATE_LABEL, "choice", choices=tuple(
        Choice(s.key, s.label) for s in form.workflow.states))


def badge(form: FormSpec, key: str | None) -> Markup:
    state = form.workflow.state(key or "") if form.workflow else None
    if state is None:
        return Markup('<span class="label label-default">{0}</span>').format(key or "")
    return Markup('<span class="label portal-state" data-state="{0}" '
                  'style="background-color:{1}">{2}</span>').format(
        state.key, COLOUR_CSS[state.colour], state.label.get())


def _when(value: Any) -> str:
    return format_datetime(value, "yyyy-MM-dd HH:mm") if isinstance(value, dt.datetime) \
        else ""


def formatters(form: FormSpec) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if form.workflow is not None:
        out[STATE_COLUMN] = lambda value: badge(form, value)
    if form.sla is not None:
        for name in SLA_COLUMNS:
            if name.endswith("_breached"):
                out[name] = lambda value: Markup(
                    '<span class="label label-danger">{0}</span>').format(_l("Overdue")) \
                    if value else _l("No")
            elif name.endswith("_due"):
                out[name] = due_cell
            else:
                out[name] = _when
    return out


class Deadline:
    """A deadline cell's value: the due time and whether it is overdue now (a list's values
    carry it, so the formatter can highlight the row's own state; see PortalInterface)."""

    def __init__(self, due: dt.datetime | None, overdue: bool) -> None:
        self.due, self.overdue = due, overdue

    def __str__(self) -> str:
        return _when(self.due)

    def __bool__(self) -> bool:
        return self.due is not None


def due_cell(value: Any) -> Any:
    if isinstance(value, Deadline):
        if value.overdue:
            return Markup('<span class="text-danger portal-overdue" title="{0}">'
                          '<i class="fa fa-exclamation-triangle"></i> {1}</span>').format(
                _l("Overdue"), str(value))
        return str(value)
    return _when(value)


class FilterOverdueAt(BaseFilter):
    """A deadline column's search filter: records whose deadline had passed, unmet and not
    final, at the time given (empty: now) — overdue right now, not only at the last
    `flask portal sla run`."""

    name = _l("Overdue at")
    arg_name = "overdue"

    def apply(self, query: Any, value: Any) -> Any:
        at = now()
        if isinstance(value, dt.datetime):
            at = value
        elif isinstance(value, str) and value.strip():
            at = dt.datetime.fromisoformat(value.strip())  # the guard checked it parses
        model = self.model
        form = model.__form__
        due = getattr(model, self.column_name)
        finals = [s.key for s in form.workflow.states if s.final]
        return query.filter(due.isnot(None), due < at,
                            getattr(model, CLOCKS[self.column_name]).is_(None),
                            getattr(model, STATE_COLUMN).notin_(finals))


def add_overdue_filters(filters: Any, datamodel: Any) -> None:
    """Offer FilterOverdueAt on the deadline columns the form searches by."""
    for column in CLOCKS:
        offered = filters._search_filters.get(column)
        if offered is not None and not any(isinstance(f, FilterOverdueAt) for f in offered):
            flt = FilterOverdueAt(column, datamodel)
            offered.append(flt)
            if filters._all_filters.get(column) is not offered:
                filters._all_filters.setdefault(column, []).append(flt)
