"""Checks of quality alert rules (config/alerts/, a pack's alerts/), built into AlertSpec:
keys (E020), unknown forms, fields and roles (E070, E032), options (E071), sensitive or
ungroupable fields (E072), the window (E071) and the condition (E063, E064, E072)."""

from __future__ import annotations

import difflib
from typing import Any

from app.config.durations import parse_duration
from app.config.lint.common import to_label
from app.config.lint.dashboards import DATE_TYPES, GROUP_TYPES, form_names
from app.config.loader import keypath
from app.config.source import LDict
from app.spec import AlertSpec, FormSpec, RoleSpec


class AlertRules:
    """Mixed into the Linter (with DashboardRules, whose condition checks it shares)."""

    raw: Any
    problems: list[Any]
    add: Any
    unknown: Any
    unique_keys: Any
    condition: Any
    form_of: Any
    tainted: set[str]
    broken_forms: set[str]

    def build_alerts(self, forms: list[FormSpec], roles: list[RoleSpec]) -> list[AlertSpec]:
        self.unique_keys(self.raw.alerts, "alert rule", "alert rule keys must be unique")
        by_key = {f.key: f for f in forms}
        role_keys = [r.key for r in roles]
        return [a for a in (self.build_alert(raw, by_key, role_keys)
                            for raw in self.raw.alerts) if a is not None]

    def build_alert(self, raw: LDict, forms: dict[str, FormSpec], role_keys: list[str]
                    ) -> AlertSpec | None:
        before = len(self.problems)
        for i, role in enumerate(raw["roles"]):
            if role not in role_keys:
                self.unknown("PORTAL-E032", raw, "roles", "role", role, role_keys,
                             path=keypath(raw, "roles") + (i,))
        form = self.form_of(raw, forms)
        if form is None:
            return None
        names, self.tainted = form_names(form)
        for key in ("group_by", "date"):
            name = raw.get(key, "created_on")
            if name not in names:
                near = difflib.get_close_matches(name, list(names), n=1)
                self.add("PORTAL-E070", raw, key, f"form '{form.key}' has no field '{name}'",
                         f"did you mean '{near[0]}'?" if near else "fields of the form: " +
                         ", ".join(sorted(names)))
        group, date = raw["group_by"], raw.get("date", "created_on")
        spec = names.get(group)
        if group in self.tainted:
            self.add("PORTAL-E072", raw, "group_by", f"'{group}' is sensitive: masked values "
                     "are never grouped by or shown", "group by another field")
        elif spec is not None and spec.type not in GROUP_TYPES:
            self.add("PORTAL-E072", raw, "group_by", f"a {spec.type} field cannot be grouped "
                     "by", "group by a choice, user, reference, number or short text field")
        dspec = names.get(date)
        if date in names and (dspec is None or dspec.type not in DATE_TYPES):
            self.add("PORTAL-E071", raw, "date", f"'{date}' is not a date or date-time field")
        window = self.window(raw)
        if raw["threshold"] < 1:
            self.add("PORTAL-E071", raw, "threshold", "the threshold must be at least 1")
        growth = raw.get("growth")
        if growth is not None and (window is None or growth <= 1):
            self.add("PORTAL-E071", raw, "growth", "growth compares a window with the one "
                     "before it: it needs a window and a factor above 1", "e.g. growth: 2")
        where = self.condition(raw, "where", names, form, forms)
        if len(self.problems) > before:
            return None
        return AlertSpec(raw["key"], to_label(raw["label"]), form.key, group,
                         raw["threshold"], tuple(raw["roles"]), where, raw.get("where", ""),
                         date, window, float(growth) if growth is not None else None,
                         to_label(raw["help"]) if "help" in raw else None)

    def window(self, raw: LDict) -> int | None:
        if "window" not in raw:
            return None
        try:
            return parse_duration(raw["window"])
        except ValueError as exc:
            self.add("PORTAL-E071", raw, "window", str(exc))
            return None
