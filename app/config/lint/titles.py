"""Checks of how records are named and numbered: a form's `title` template and an
autonumber field's `format` (PORTAL-E045), built into the spec by app/config/lint/forms.py."""

from __future__ import annotations

import difflib
from typing import Any

from app.config.lint.common import to_label
from app.config.source import LDict
from app.fieldtypes import autonumber
from app.spec import FieldSpec, Label

TITLE_MAX = 200


def placeholders(template: str) -> list[str]:
    """The field keys a title names, in order."""
    return [m.group(1) for m in autonumber.PART.finditer(template)]


class TitleRules:
    add: Any
    problems: list

    def check_format(self, raw: LDict, ftype: str) -> str | None:
        """An autonumber's template, checked; None when missing or wrong (reported)."""
        if ftype != "autonumber":
            return None
        if "format" not in raw:
            self.add("PORTAL-E012", raw, None, "missing required key 'format'",
                     "an autonumber names its template, e.g. TS-{date:%Y%m%d}-{seq:4}",
                     value=False)
            return None
        template = raw["format"]
        for problem in autonumber.problems(template):
            self.add("PORTAL-E045", raw, "format", problem,
                     "e.g. TS-{date:%Y%m%d}-{seq:4}: a day's numbers TS-20261206-0001, …")
        if raw.get("required"):
            self.add("PORTAL-E041", raw, "required", "'required' does not apply to an "
                     "autonumber field", "the portal gives every new record its number",
                     value=False)
        return template

    def check_title(self, raw: LDict, keys: list[str], fields: list[FieldSpec]
                    ) -> Label | None:
        """The form's title template (one per language), checked against its fields."""
        if "title" not in raw:
            return None
        label = to_label(raw["title"])
        for template in dict.fromkeys((label.zh, label.en)):
            self.check_template(raw, template, keys, fields)
        return label

    def check_template(self, raw: LDict, template: str, keys: list[str],
                       fields: list[FieldSpec]) -> None:
        names = placeholders(template)
        if not names:
            self.add("PORTAL-E045", raw, "title", "a title names at least one field in "
                     "braces", "e.g. '{ticket_no} {customer} {product_name}'")
        for match in autonumber.PART.finditer(template):
            if match.group(2) is not None:
                self.add("PORTAL-E045", raw, "title", f"'{match.group(0)}': a title names "
                         "fields only, without a format", "write {key}")
        for name in names:
            if name != "id" and name not in keys:
                near = difflib.get_close_matches(name, keys, n=1)
                self.add("PORTAL-E045", raw, "title", f"the title names unknown field "
                         f"'{name}'", f"did you mean '{near[0]}'?" if near
                         else "known: " + ", ".join(keys))
        if any(c in autonumber.PART.sub("", template) for c in "{}"):
            self.add("PORTAL-E045", raw, "title", "unbalanced braces in the title",
                     "write each field key as {key}")
        if len(template) > TITLE_MAX:
            self.add("PORTAL-E043", raw, "title", f"the title is {len(template)} characters "
                     "long", f"at most {TITLE_MAX}")
        long_text = [f.key for f in fields if f.key in names and f.type == "text"]
        if long_text:
            self.add("PORTAL-E041", raw, "title", "long text cannot name a record: "
                     + ", ".join(long_text), "name records by short fields (numbers, names, "
                     "products)")
