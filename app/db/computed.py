"""Computed values as attributes of the generated classes: worked out from the record's
fields (references and users by id) and system columns on every read, never stored."""

from __future__ import annotations

from typing import Any

from app.config import formulas
from app.spec import SLA_COLUMNS, STATE_COLUMN, ComputedSpec, FormSpec

SYSTEM = ("id", "created_on", "changed_on", STATE_COLUMN, *SLA_COLUMNS)


def record_values(form: FormSpec, row: Any) -> dict[str, Any]:
    """What a formula (or a condition) reads of a record."""
    values = {f.key: getattr(row, f.column, None) for f in form.fields}
    values.update({name: getattr(row, name, None) for name in SYSTEM})
    return values


def computed_attributes(form: FormSpec) -> dict[str, Any]:
    """One read-only property per computed value of `form`."""
    def reader(spec: ComputedSpec) -> property:
        return property(lambda row: formulas.evaluate(spec.formula, record_values(form, row)))

    return {spec.key: reader(spec) for spec in form.computed}
