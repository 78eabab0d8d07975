"""Checks of a form's `sections` and its fields' `on_add`, built into SectionSpec by
app/config/lint/forms.py (PORTAL-E020, E031, E041, E043, E061)."""

from __future__ import annotations

import difflib
from typing import Any

from app.config.errors import Problem
from app.config.lint.common import to_label
from app.config.source import LDict, format_path
from app.spec import FieldSpec, SectionSpec, WorkflowSpec


class SectionRules:
    add: Any
    problems: list

    def build_sections(self, raw: LDict, keys: list[str], fields: list[FieldSpec],
                       workflow: WorkflowSpec | None) -> tuple[SectionSpec, ...]:
        out: list[SectionSpec] = []
        placed: dict[str, str] = {}
        for item in raw.get("sections") or []:
            if any(s.key == item["key"] for s in out):
                self.add("PORTAL-E020", item, "key", f"duplicate section key '{item['key']}'",
                         "each section of a form has its own key")
                continue
            names = list(item["fields"])
            for i, name in enumerate(names):
                if name not in keys:
                    near = difflib.get_close_matches(name, keys, n=1)
                    self.item_problem("PORTAL-E031", item["fields"], i, f"unknown field "
                                      f"'{name}'", f"did you mean '{near[0]}'?" if near
                                      else "known: " + ", ".join(keys))
                elif name in placed:
                    self.item_problem("PORTAL-E041", item["fields"], i, f"field '{name}' is "
                                      f"already in section '{placed[name]}'",
                                      "put each field in one section")
                else:
                    placed[name] = item["key"]
            columns = item.get("columns", 1)
            if columns not in (1, 2):
                self.add("PORTAL-E043", item, "columns", f"{columns} is out of range",
                         "a section has 1 or 2 columns")
            states = tuple(item.get("states") or ())
            if states and workflow is None:
                self.add("PORTAL-E041", item, "states", "'states' needs a workflow",
                         "the form has no workflow states", value=False)
            elif workflow is not None:
                known = [s.key for s in workflow.states]
                for state in states:
                    if state not in known:
                        near = difflib.get_close_matches(state, known, n=1)
                        self.add("PORTAL-E061", item, "states", f"unknown state '{state}'",
                                 f"did you mean '{near[0]}'?" if near else "known: "
                                 + ", ".join(known))
            out.append(SectionSpec(item["key"], to_label(item["label"]),
                                   tuple(n for n in names if placed.get(n) == item["key"]),
                                   columns if columns in (1, 2) else 1, states))
        self.check_on_add(raw, fields)
        return tuple(out)

    def item_problem(self, code: str, values: Any, i: int, message: str, hint: str) -> None:
        """A problem pointing at item `i` of a YAML list."""
        where = values.where(i)
        self.problems.append(Problem(code, where.file, where.line, where.column,
                                     format_path(values.path + (i,)), message, hint))

    def check_on_add(self, raw: LDict, fields: list[FieldSpec]) -> None:
        """A required field left off the add form needs a default: else no record could be
        added at all."""
        raws = {f["key"]: f for f in raw["fields"]}
        for field in fields:
            fraw = raws[field.key]
            if not field.on_add and field.required and field.default is None:
                self.add("PORTAL-E041", fraw, "on_add", f"required field '{field.key}' is "
                         "left off the add form without a default",
                         "give it a default, or keep it on the add form")
