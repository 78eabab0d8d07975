"""Checks of a form's `computed` values, built into ComputedSpec by app/config/lint/forms.py:
keys (PORTAL-E020), formulas (E063 unreadable, E064 unknown field)."""

from __future__ import annotations

from typing import Any

from app.config import formulas
from app.config.expressions import ExprError
from app.config.lint.common import to_label
from app.config.source import LDict
from app.spec import SLA_COLUMNS, STATE_COLUMN, Choice, ComputedSpec, FieldSpec

READABLE = ("id", "created_on", "changed_on", STATE_COLUMN, *SLA_COLUMNS)


class ComputedRules:
    add: Any

    def build_computed(self, raw: LDict, fields: list[FieldSpec], reserved: set[str]
                       ) -> tuple[ComputedSpec, ...]:
        out: list[ComputedSpec] = []
        known = {f.key for f in fields} | set(READABLE)
        for item in raw.get("computed") or []:
            key = item["key"]
            taken = {f.key for f in fields} | {f.column for f in fields} | reserved
            if key in taken | {c.key for c in out}:
                self.add("PORTAL-E020", item, "key", f"'{key}' is already a field, a "
                         "computed value or a system column of the form",
                         "give the computed value a key of its own")
                continue
            try:
                formula = formulas.parse(item["value"])
            except ExprError as exc:
                self.add("PORTAL-E063", item, "value", exc.message, exc.hint)
                continue
            problems = formulas.unknown_names(formula, known)
            for problem in problems:
                self.add("PORTAL-E064", item, "value", problem.message,
                         "fields by key, or id, created_on, changed_on, state, sla_…")
            if problems:
                continue
            out.append(ComputedSpec(
                key, to_label(item["label"]), formula, item["value"], item.get("list", False),
                to_label(item["help"]) if "help" in item else None,
                tuple(Choice(str(c["value"]), to_label(c["label"]))
                      for c in item.get("choices") or ())))
        return tuple(out)
