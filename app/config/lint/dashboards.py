"""Checks of dashboards (config/dashboards/, a pack's dashboards/), built into DashboardSpec:
keys (E020), unknown forms, fields and roles (E070, E032), measures and options that do not
fit (E071), what may not be grouped or filtered by (E072), conditions (E063, E064)."""

from __future__ import annotations

import difflib
from typing import Any

from app.config import dashboard_expr
from app.config.errors import Problem
from app.config.expressions import ExprError, _walk, check
from app.config.lint.common import to_label
from app.config.lint.workflow import _source_position
from app.config.loader import keypath
from app.config.source import LDict, format_path
from app.spec import (
    SLA_COLUMNS,
    STATE_COLUMN,
    Choice,
    DashboardSpec,
    DurationSpec,
    FieldSpec,
    FormSpec,
    Label,
    RoleSpec,
    WidgetSpec,
)

NUMBER_TYPES = ("integer", "decimal", "money", "rating")
DATE_TYPES = ("date", "datetime")
GROUP_TYPES = ("choice", "boolean", "user", "reference", "rating", "integer", "string",
               "date", "datetime")
MEASURED = ("sum", "avg", "min", "max", "p90")


def system_fields(form: FormSpec) -> dict[str, FieldSpec]:
    """The system columns a widget may name, as field specs of their type."""
    def spec(key: str, kind: str, **kw: Any) -> FieldSpec:
        return FieldSpec(key, Label(key, key), kind, **kw)

    out = {"id": spec("id", "integer"), "created_on": spec("created_on", "datetime"),
           "changed_on": spec("changed_on", "datetime")}
    if form.workflow:
        out[STATE_COLUMN] = spec(STATE_COLUMN, "choice", choices=tuple(
            Choice(s.key, s.label) for s in form.workflow.states))
    if form.sla:
        out |= {c: spec(c, "boolean" if c.endswith("breached") else "datetime")
                for c in SLA_COLUMNS}
    return out


def form_names(form: FormSpec) -> tuple[dict[str, FieldSpec | None], set[str]]:
    """What a widget or alert of the form may name (fields, system columns, computed values
    as None), and which of them are secret: sensitive fields, computed values reading one."""
    names: dict[str, FieldSpec | None] = {**system_fields(form),
                                          **{f.key: f for f in form.fields}}
    names |= {c.key: None for c in form.computed}
    secret = {f.key for f in form.fields if f.sensitive}
    return names, secret | {c.key for c in form.computed if c.formula.names & secret}


class DashboardRules:
    """Mixed into the Linter: builds the DashboardSpecs."""

    raw: Any
    problems: list[Problem]
    add: Any
    unknown: Any
    unique_keys: Any
    tainted: set[str]  # of the widget's form: sensitive fields, computed values reading one
    broken_forms: set[str]  # declared forms whose own problems kept them from being built

    def build_dashboards(self, forms: list[FormSpec], roles: list[RoleSpec]
                         ) -> list[DashboardSpec]:
        self.unique_keys(self.raw.dashboards, "dashboard", "dashboard keys must be unique")
        by_key = {f.key: f for f in forms}
        role_keys = [r.key for r in roles]
        out = []
        for raw in self.raw.dashboards:
            for i, role in enumerate(raw.get("roles") or []):
                if role not in role_keys:
                    self.unknown("PORTAL-E032", raw, "roles", "role", role, role_keys,
                                 path=keypath(raw, "roles") + (i,))
            self.unique_keys(list(raw["widgets"]), "widget", "widget keys must be unique "
                             "within a dashboard")
            widgets = [w for w in (self.build_widget(w, by_key) for w in raw["widgets"])
                       if w is not None]
            if not {w["form"] for w in raw["widgets"]} & self.broken_forms:
                self.check_filters(raw, [by_key[w.form] for w in widgets])
            out.append(DashboardSpec(
                raw["key"], to_label(raw["label"]), tuple(widgets),
                tuple(raw.get("roles") or ()), raw.get("order", 100), raw.get("period", "week"),
                to_label(raw["description"]) if "description" in raw else None,
                tuple(raw.get("filters") or ())))
        return out

    def check_filters(self, raw: LDict, forms: list[FormSpec]) -> None:
        """Each filter: a choice field, not sensitive, of at least one widget's form."""
        for i, key in enumerate(raw.get("filters") or []):
            found = [f.field(key) for f in forms if key in {x.key for x in f.fields}]
            where = raw["filters"].where(i)
            if not found:
                near = difflib.get_close_matches(key, sorted(
                    {x.key for f in forms for x in f.fields if x.type == "choice"}), n=1)
                problem = ("PORTAL-E070", f"no widget's form has a field '{key}'",
                           f"did you mean '{near[0]}'?" if near else "filters name choice "
                           "fields of the forms the widgets count")
            elif any(f.type != "choice" or f.sensitive for f in found):
                problem = ("PORTAL-E071", f"'{key}' is not a choice field",
                           "filters are choice fields (not sensitive)")
            else:
                continue
            self.problems.append(Problem(problem[0], where.file, where.line, where.column,
                                         format_path(keypath(raw, "filters") + (i,)),
                                         problem[1], problem[2]))

    def form_of(self, raw: LDict, forms: dict[str, FormSpec]) -> FormSpec | None:
        """The form a widget or alert rule counts; None (and E070 unless that form's own
        problems are reported) when it was not built."""
        form = forms.get(raw["form"])
        if form is None and raw["form"] not in self.broken_forms:
            self.unknown("PORTAL-E070", raw, "form", "form", raw["form"], sorted(forms))
        return form

    def build_widget(self, raw: LDict, forms: dict[str, FormSpec]) -> WidgetSpec | None:
        form = self.form_of(raw, forms)
        if form is None:
            return None
        before = len(self.problems)
        names, self.tainted = form_names(form)
        measure, chart = raw.get("measure", "count"), raw.get("chart", "tile")
        group, value = raw.get("group_by"), raw.get("field")
        duration = self.build_duration(raw, names)
        self.check_field_names(raw, form, names)
        where = self.condition(raw, "where", names, form, forms)
        rate = self.condition(raw, "rate", names, form, forms)
        measured = value is not None or "duration" in raw
        if value is not None and "duration" in raw:
            self.bad(raw, "field", "a widget measures a field or a duration, not both")
        if measure in MEASURED and not measured:
            self.bad(raw, "measure", f"measure '{measure}' needs a field or a duration",
                     "e.g. field: amount, or duration: {from: created_on, to: sla_resolved_on}")
        if measure == "rate" and "rate" not in raw:
            self.bad(raw, "measure", "measure 'rate' needs the condition of the records it "
                     "counts (rate)", "e.g. rate: \"state in ['resolved', 'closed']\"")
        if "rate" in raw and measure != "rate":
            self.bad(raw, "rate", "rate applies to measure 'rate' only")
        if measure in ("count", "rate") and measured and group != "value":
            self.bad(raw, "field" if value is not None else "duration",
                     f"measure '{measure}' counts records: it measures no field or duration",
                     "use measure: sum, avg, min, max or p90, or group_by: value with bins")
        if value is not None and value in names and names[value] is not None and \
                names[value].type not in NUMBER_TYPES:  # type: ignore[union-attr]
            self.bad(raw, "field", f"'{value}' is not a number field",
                     "measure integer, decimal, money or rating fields, or a computed value")
        self.check_grouping(raw, names, measured)
        if chart == "tile" and group is not None:
            self.bad(raw, "chart" if "chart" in raw else "group_by", "a tile shows one "
                     "figure; a widget with group_by is a bar, hbar, line or pie chart",
                     "add chart: bar (or hbar, line, pie)")
        if chart != "tile" and group is None:
            self.bad(raw, "chart", f"a {chart} chart needs group_by", "or chart: tile")
        date = raw.get("date", "created_on")
        dspec = names.get(date)
        if date in names and (dspec is None or dspec.type not in DATE_TYPES):
            self.bad(raw, "date", f"'{date}' is not a date or date-time field")
        if len(self.problems) > before:
            return None
        return WidgetSpec(
            raw["key"], to_label(raw["label"]), form.key, measure, value, duration,
            rate, where, raw.get("rate", ""), raw.get("where", ""), date,
            raw.get("period", True), group, raw.get("every") or (
                "day" if getattr(names.get(group or ""), "type", "") in DATE_TYPES else None),
            tuple(float(b) for b in raw.get("bins") or ()), raw.get("top"), chart,
            raw.get("compare", True), raw.get("size", "small"),
            to_label(raw["help"]) if "help" in raw else None)

    def bad(self, raw: LDict, key: str, message: str, hint: str = "") -> None:
        self.add("PORTAL-E071", raw, key, message, hint)

    def check_field_names(self, raw: LDict, form: FormSpec,
                          names: dict[str, FieldSpec | None]) -> None:
        for key in ("field", "date", "group_by"):
            name = raw.get(key)
            if name is None or name in names or (key == "group_by" and name in ("value",
                                                                                  "team")):
                continue
            near = difflib.get_close_matches(name, list(names), n=1)
            self.add("PORTAL-E070", raw, key, f"form '{form.key}' has no field '{name}'",
                     f"did you mean '{near[0]}'?" if near else "fields, computed values "
                     "and system columns of the form: " + ", ".join(sorted(names)))

    def check_grouping(self, raw: LDict, names: dict[str, FieldSpec | None],
                       measured: bool) -> None:
        group, bins, every, top = (raw.get(k) for k in ("group_by", "bins", "every", "top"))
        spec = names.get(group) if group else None
        if group == "value":
            if not measured or not bins:
                self.bad(raw, "group_by", "group_by: value splits the measured field or "
                         "duration into bins: it needs both", "e.g. bins: [1, 3, 7]")
        elif bins:
            self.bad(raw, "bins", "bins apply to group_by: value only")
        if bins and list(bins) != sorted(set(bins)):
            self.bad(raw, "bins", "bins must be in increasing order, each once")
        if group in self.tainted:
            self.add("PORTAL-E072", raw, "group_by", f"'{group}' is sensitive: masked "
                     "values are never grouped by or shown", "group by another field")
        elif spec is not None and spec.type not in GROUP_TYPES:
            self.add("PORTAL-E072", raw, "group_by", f"a {spec.type} field cannot be "
                     "grouped by", "group by a choice, yes/no, user, reference, rating, "
                     "number, short text or date field")
        if every and not (spec is not None and spec.type in DATE_TYPES):
            self.bad(raw, "every", "every applies to a date group_by only")
        if top is not None and (group is None or top < 1):
            self.bad(raw, "top", "top needs group_by and a count of at least 1")

    def build_duration(self, raw: LDict, names: dict[str, FieldSpec | None]
                       ) -> DurationSpec | None:
        draw = raw.get("duration")
        if not isinstance(draw, LDict):
            return None
        ok = True
        for end in ("from", "to"):
            name = draw[end]
            if end == "to" and name == "now":
                continue
            if name not in names:
                self.unknown("PORTAL-E070", draw, end, "date field", name,
                             sorted(k for k, v in names.items() if v and v.type in DATE_TYPES))
                ok = False
            elif names[name] is None or names[name].type not in DATE_TYPES:  # type: ignore
                self.bad(draw, end, f"'{name}' is not a date or date-time field")
                ok = False
        if not ok:
            return None
        return DurationSpec(draw["from"], draw["to"], draw.get("time") == "working",
                            draw.get("unit", "hours"))

    def condition(self, raw: LDict, key: str, names: dict[str, FieldSpec | None],
                  form: FormSpec, forms: dict[str, FormSpec]) -> Any:
        text = raw.get(key)
        if text is None:
            return None
        where = raw.where(key, value=True)
        try:
            expr = dashboard_expr.parse(text)
        except ExprError as exc:
            self.expr_problem("PORTAL-E063", raw, key, text, exc)
            return None
        known = {**names, "today": FieldSpec("today", Label("", ""), "date"),
                 "now": FieldSpec("now", Label("", ""), "datetime")}
        errors = check(expr, known)
        errors += [ExprError("the viewer is not known to a dashboard's figures", n.at)
                   for n in _names(expr) if n.value.startswith("user.")]
        for n in _names(expr):
            if n.value in self.tainted:
                self.expr_problem("PORTAL-E072", raw, key, text, ExprError(
                    f"'{n.value}' is sensitive: masked values never filter a dashboard's "
                    "figures", n.at, "filter by another field"), where)
        for node in dashboard_expr.related_forms(expr):
            if node.value in self.broken_forms:
                continue  # its form's own problems are reported
            other = forms.get(node.value)
            if other is None or not any(f.type == "reference" and f.form == form.key
                                        for f in other.fields):
                referring = sorted(o.key for o in forms.values() if any(
                    f.type == "reference" and f.form == form.key for f in o.fields))
                errors.append(ExprError(
                    f"form '{node.value}' has no reference field to {form.key}", node.at,
                    "has() names a form referring to it: " + (", ".join(referring) or
                                                              "none does")))
        for err in errors:
            self.expr_problem("PORTAL-E064", raw, key, text, err, where)
        return None if errors or any(n.value in self.tainted for n in _names(expr)) else expr

    def expr_problem(self, code: str, raw: LDict, key: str, text: str, err: ExprError,
                     where: Any = None) -> None:
        where = where or raw.where(key, value=True)
        line, column = _source_position(where.file, where.line, where.column, text,
                                        err.offset)
        self.problems.append(Problem(code, where.file, line, column,
                                     format_path(keypath(raw, key)), err.message, err.hint))


def _names(expr: Any) -> list[Any]:
    return [n for n in _walk(expr.tree) if n.kind == "name"]
