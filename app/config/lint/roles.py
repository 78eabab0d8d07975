"""Semantic checks of roles: grants, inheritance, row scopes, reveal rights, read-only fields."""

from __future__ import annotations

import difflib
from typing import Any

from app.config.errors import Problem
from app.config.keys import ACTIONS
from app.config.lint.common import to_label
from app.config.loader import keypath
from app.config.source import LDict, format_path
from app.spec import FormSpec, Label, RoleSpec


class RoleRules:
    """Mixed into the Linter: builds RoleSpecs from the merged roles."""

    raw: Any
    problems: list[Problem]
    add: Any
    unknown: Any
    unique_keys: Any

    def build_roles(self, form_keys: list[str], forms: list[FormSpec]) -> list[RoleSpec]:

        role_keys = self.unique_keys(self.raw.roles, "role", "role keys must be unique")
        followable = True
        by_key = {r["key"]: r for r in self.raw.roles}
        built = {f.key: f for f in forms}
        declared = self.declared_fields()
        for raw in self.raw.roles:
            for section in ("grants", "scopes", "readonly"):
                for form in (raw.get(section) or {}):
                    if (form != "*" or section == "readonly") and form not in form_keys:
                        self.unknown("PORTAL-E030", raw[section], form, "form", form,
                                     form_keys, path=keypath(raw, section) + (form,),
                                     value=False)
            self.check_readonly(raw, declared)
            for i, parent in enumerate(raw.get("inherits") or []):
                if parent not in role_keys:
                    followable = False
                    near = difflib.get_close_matches(parent, role_keys, n=1)
                    where = raw["inherits"].where(i)
                    self.problems.append(Problem(
                        "PORTAL-E032", where.file, where.line, where.column,
                        format_path(keypath(raw, "inherits") + (i,)),
                        f"unknown role '{parent}'",
                        f"did you mean '{near[0]}'?" if near else "known: " + ", ".join(
                            role_keys)))
        if not followable:  # an unknown parent: inheritance cannot be followed
            return []
        out = []
        for raw in self.raw.roles:
            grants, cycle = self.collect_grants(raw["key"], by_key, form_keys, ())
            if cycle:
                if raw["key"] in cycle:  # roles merely inheriting from a cycle are not in it
                    self.add("PORTAL-E044", raw, "inherits",
                             f"roles inherit in a cycle: {' → '.join(cycle)}",
                             "remove one of the inherits entries")
                continue
            label = to_label(raw["label"]) if "label" in raw else Label(raw["key"], raw["key"])
            reveal = self.collect_reveal(raw["key"], by_key, built, ())
            audit = bool(raw.get("audit") or raw.get("admin"))  # admins have everything
            out.append(RoleSpec(raw["key"], label, raw.get("admin", False), audit=audit,
                                grants=grants,
                                scopes=self.role_scopes(raw, grants),
                                reveal=tuple(sorted(reveal)),
                                ancestors=self.ancestors(raw["key"], by_key),
                                readonly={f: tuple(sorted(set(keys))) for f, keys in sorted(
                                    (raw.get("readonly") or {}).items()) if f in grants}))
        return out

    def ancestors(self, key: str, by_key: dict) -> tuple[str, ...]:
        """Every role `key` inherits from (inheritance is known to be acyclic here)."""
        out: set[str] = set()
        todo = list(by_key[key].get("inherits") or [])
        while todo:
            parent = todo.pop()
            if parent not in out:
                out.add(parent)
                todo.extend(by_key[parent].get("inherits") or [])
        return tuple(sorted(out))

    def role_scopes(self, raw: LDict, grants: dict[str, tuple[str, ...]]) -> dict[str, str]:
        """The row scope of every form the role has a grant on."""
        if raw.get("admin"):
            return {form: "all" for form in grants}
        per_form = dict(raw.get("scopes") or {})
        default = per_form.get("*", raw.get("scope", "own"))
        return {form: per_form.get(form, default) for form in grants}

    def declared_fields(self) -> dict[str, list[str]]:
        """Every form's field keys as written in its YAML. A form that failed to build (a
        field with a problem) still has them, so role entries naming its fields are checked
        too; a field with a problem of its own is not reported again as unknown."""
        out: dict[str, list[str]] = {}
        for form in self.raw.forms:  # of two forms with one key, the first counts
            out.setdefault(form["key"], list(dict.fromkeys(f["key"] for f in form["fields"])))
        return out

    def check_readonly(self, raw: LDict, declared: dict[str, list[str]]) -> None:
        for form_key, fields in (raw.get("readonly") or {}).items():
            keys = declared.get(form_key)
            if keys is None:  # an unknown form: reported as such (PORTAL-E030)
                continue
            for i, key in enumerate(fields):
                if key not in keys:
                    where = fields.where(i)
                    near = difflib.get_close_matches(key, keys, n=1)
                    self.problems.append(Problem(
                        "PORTAL-E031", where.file, where.line, where.column,
                        format_path(keypath(raw, "readonly") + (form_key, i)),
                        f"unknown field '{key}' of form {form_key}",
                        f"did you mean '{near[0]}'?" if near else "known: " + ", ".join(keys)))

    def collect_reveal(self, key: str, by_key: dict, built: dict[str, FormSpec],
                       trail: tuple) -> set[str]:
        """'form.field' of every sensitive field the role (or a role it inherits) reveals."""
        if key in trail:
            return set()
        raw = by_key[key]
        out: set[str] = set()
        for parent in raw.get("inherits") or []:
            out |= self.collect_reveal(parent, by_key, built, trail + (key,))
        refs = raw.get("reveal") or []
        for i, ref in enumerate(refs):
            out |= self.resolve_reveal(raw, refs, i, ref, built, report=not trail)
        if raw.get("admin"):
            out |= {f"{form.key}.{f.key}" for form in built.values() for f in form.fields
                    if f.sensitive}
        return out

    def resolve_reveal(self, raw: LDict, refs: Any, i: int, ref: str,
                       built: dict[str, FormSpec], report: bool) -> set[str]:
        def problem(message: str, hint: str) -> set[str]:
            if report:
                where = refs.where(i)
                self.problems.append(Problem(
                    "PORTAL-E034", where.file, where.line, where.column,
                    format_path(keypath(raw, "reveal") + (i,)), message, hint))
            return set()

        if ref == "*":
            return {f"{form.key}.{f.key}" for form in built.values() for f in form.fields
                    if f.sensitive}
        form_key, dot, field_key = ref.partition(".")
        if not dot or not field_key:
            return problem(f"'{ref}' is not a field reference",
                           "write 'form.field', 'form.*' or '*'")
        form = built.get(form_key)
        if form is None:
            known = sorted(built)
            near = difflib.get_close_matches(form_key, known, n=1)
            return problem(f"unknown form '{form_key}'",
                           f"did you mean '{near[0]}'?" if near else "known: " + ", ".join(
                               known))
        sensitive = [f.key for f in form.fields if f.sensitive]
        if field_key == "*":
            return {f"{form_key}.{k}" for k in sensitive}
        if field_key not in [f.key for f in form.fields]:
            near = difflib.get_close_matches(field_key, [f.key for f in form.fields], n=1)
            return problem(f"unknown field '{field_key}' of form {form_key}",
                           f"did you mean '{near[0]}'?" if near else
                           "sensitive fields: " + (", ".join(sensitive) or "none"))
        if field_key not in sensitive:
            return problem(f"field '{form_key}.{field_key}' is not sensitive; there is "
                           "nothing to reveal",
                           "mark the field 'sensitive: true', or remove it from reveal")
        return {ref}

    def collect_grants(self, key: str, by_key: dict, form_keys: list[str],
                       trail: tuple) -> tuple[dict[str, tuple[str, ...]], tuple]:
        if key in trail:
            return {}, trail[trail.index(key):] + (key,)
        raw = by_key[key]
        grants: dict[str, set[str]] = {}
        for parent in raw.get("inherits") or []:
            inherited, cycle = self.collect_grants(parent, by_key, form_keys, trail + (key,))
            if cycle:
                return {}, cycle
            for form, actions in inherited.items():
                grants.setdefault(form, set()).update(actions)
        for form, actions in (raw.get("grants") or {}).items():
            targets = form_keys if form == "*" else [form]
            for target in targets:
                grants.setdefault(target, set()).update(
                    ACTIONS if actions == "all" else actions)
        return {f: tuple(sorted(a)) for f, a in sorted(grants.items()) if a}, ()
