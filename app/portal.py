"""The running portal's typed state: the spec, its generated tables, and what screens, API
and import derive from each form, computed once per spec and shared."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app

from app.db.tables import FormModels, build_models
from app.fieldtypes.registry import field_type
from app.spec import SLA_COLUMNS, STATE_COLUMN, FormSpec, PortalSpec

EXTENSION = "portal"  # app.extensions[EXTENSION] holds the Portal


@dataclass(frozen=True)
class Referrer:
    """A reference field of another form pointing at this one (deletes check it)."""

    form: FormSpec
    model: type
    column: str


@dataclass(frozen=True, eq=False)
class FormParts:
    """One form's derived facts: its class, its system columns, what may sort it."""

    spec: FormSpec
    model: type
    workflow_columns: tuple[str, ...]  # the state and SLA deadlines: shown, never edited
    order_columns: tuple[str, ...]  # the YAML's, less what would leak masked values
    referrers: tuple[Referrer, ...]

    @property
    def base_order(self) -> tuple[str, str]:
        order = self.spec.order_by
        return order.lstrip("-"), "desc" if order.startswith("-") else "asc"


@dataclass(frozen=True, eq=False)
class Portal:
    spec: PortalSpec
    models: FormModels
    forms: dict[str, FormParts] = field(default_factory=dict)

    def form(self, key: str) -> FormParts:
        return self.forms[key]

    def model(self, key: str) -> Any:
        return self.models.models[key]


def workflow_columns(form: FormSpec) -> tuple[str, ...]:
    return ((STATE_COLUMN,) if form.workflow else ()) + (SLA_COLUMNS if form.sla else ())


def _parts(form: FormSpec, spec: PortalSpec, models: FormModels) -> FormParts:
    system = workflow_columns(form)
    sortable = tuple(c for c in form.order_columns if c in system or (
        field_type(form.field(c).type).sortable and not form.field(c).sensitive))
    referrers = tuple(Referrer(other, models.models[other.key], f.column)
                      for other in spec.forms for f in other.fields
                      if f.type == "reference" and f.form == form.key)
    return FormParts(form, models.models[form.key], system, sortable, referrers)


_BUILT: dict[str, Portal] = {}  # by fingerprint: the one build cache of the process


def build_portal(spec: PortalSpec) -> Portal:
    """The portal of a spec; the same spec (by fingerprint) always gives the same object,
    so its tables, screens and APIs (cached on its parts) are built once per process."""
    built = _BUILT.get(spec.fingerprint) if spec.fingerprint else None
    if built is None:
        models = build_models(spec)
        built = Portal(spec, models, {f.key: _parts(f, spec, models) for f in spec.forms})
        if spec.fingerprint:
            _BUILT[spec.fingerprint] = built
    return built


def portal_of(app: Flask | None = None) -> Portal:
    """The Portal of `app`, or of the current app."""
    return (app or current_app).extensions[EXTENSION]  # type: ignore[no-any-return]
