"""Spec → SQLAlchemy tables and classes (one per form), built once per distinct spec."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask_appbuilder.security.sqla.models import User
from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Integer, MetaData, String, false, true
from sqlalchemy.orm import declarative_base, relationship

from app.db.computed import computed_attributes
from app.db.numbers import number_on_insert
from app.db.signatures import Signature, link_on_save
from app.db.titles import display_name, title
from app.db.users import current_user_id
from app.fieldtypes.registry import field_type
from app.spec import SLA_COLUMNS, STATE_COLUMN, FieldSpec, FormSpec, PortalSpec

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


def column_type(field: FieldSpec) -> Any:
    return field_type(field.type).column(field)


@dataclass
class FormModels:
    """The generated classes of one spec, on their own metadata."""

    metadata: MetaData
    models: dict[str, Any]  # generated classes: their columns are known at run time only


def build_models(spec: PortalSpec) -> FormModels:
    """Classes for every form of `spec`, on a metadata of their own (app.portal keeps one
    build per spec)."""
    metadata = MetaData(naming_convention=NAMING)
    base = declarative_base(metadata=metadata)
    models = {form.key: _build_class(base, form, spec) for form in spec.forms}
    return FormModels(metadata, models)


def _build_class(base: Any, form: FormSpec, spec: PortalSpec) -> type:
    user_id = User.__table__.c.id
    version = Column("version", Integer, nullable=False, default=1)
    created_by = Column("created_by_fk", Integer, ForeignKey(user_id),
                        default=current_user_id)
    changed_by = Column("changed_by_fk", Integer, ForeignKey(user_id),
                        default=current_user_id, onupdate=current_user_id)
    attrs: dict[str, Any] = {
        "__tablename__": form.table,
        "__form__": form,
        "__calendar__": spec.calendar,  # SLA deadlines in working days (app/sla/deadlines.py)
        "__mapper_args__": {"version_id_col": version},
        "id": Column(Integer, primary_key=True),
        "version": version,
        # Indexed: lists sort by it unless the YAML says otherwise (order_by: -created_on).
        "created_on": Column(DateTime, nullable=False, default=_now, index=True),
        "changed_on": Column(DateTime, nullable=False, default=_now, onupdate=_now),
        "created_by_fk": created_by,
        "changed_by_fk": changed_by,
        "created_by": relationship(User, foreign_keys=[created_by]),
        "changed_by": relationship(User, foreign_keys=[changed_by]),
        "__str__": title,  # the form's title template (app/db/titles.py)
        "__display__": display_name,  # its display field: what imports look records up by
        "__repr__": lambda self: f"<{form.class_name} {self.id}>",
    }
    attrs.update(workflow_columns(form))
    attrs.update(computed_attributes(form))  # read-only, never stored (app/db/computed.py)
    for field in form.fields:
        if field.stores_id:
            target = (user_id if field.type == "user"
                      else f"{spec.form(field.form).table}.id")  # type: ignore[arg-type]
            col = Column(field.column, Integer, ForeignKey(target), nullable=not field.required,
                         index=True, unique=field.unique)
            attrs[field.column] = col
            # A reference to the form itself (a complaint's earlier complaint) is many-to-one
            # only when told which side is remote; otherwise SQLAlchemy makes it a list.
            remote: Any = ([attrs["id"]] if field.type == "reference"
                           and field.form == form.key else None)
            attrs[field.key] = relationship(
                User if field.type == "user" else spec.form(field.form).class_name,  # type: ignore[arg-type]
                foreign_keys=[col], remote_side=remote)
        elif field.signed:  # the id of its stored image (app/db/signatures.py)
            col = Column(field.column, Integer, ForeignKey(Signature.__table__.c.id),
                         nullable=not field.required)
            attrs[field.column] = col
            attrs[field.key] = relationship(Signature, foreign_keys=[col], lazy="selectin")
        else:
            default = server_default(field)
            kind = column_type(field)
            if default is not None:
                # The ORM leaves a None out of the INSERT when the column has a server default,
                # so a value the user blanked on purpose was stored as the default.
                kind = kind.evaluates_none()
            attrs[field.key] = Column(field.key, kind, nullable=not field.required,
                                      unique=field.unique, index=field.indexed or None,
                                      server_default=default)
    model = type(form.class_name, (base,), attrs)
    number_on_insert(model, form)  # autonumbers given on save (app/db/numbers.py)
    link_on_save(model, form)  # new signatures name their record (app/db/signatures.py)
    return model


def workflow_columns(form: FormSpec) -> dict[str, Column]:
    """The state column of a form with a workflow (new rows, and rows of a table the
    workflow is added to, start in the initial state) and the SLA's deadline columns."""
    out: dict[str, Column] = {}
    if form.workflow is not None:
        initial = form.workflow.initial.key
        out[STATE_COLUMN] = Column(STATE_COLUMN, String(64), nullable=False, index=True,
                                   default=initial, server_default=initial)
    if form.sla is not None:
        for name in SLA_COLUMNS:
            if name.endswith("_breached"):
                out[name] = Column(name, Boolean, nullable=False, default=False,
                                   server_default=false())
            else:  # the two deadlines are indexed: lists sort and filter on them
                out[name] = Column(name, DateTime, index=name.endswith("_due") or None)
    return out


def server_default(field: FieldSpec) -> Any:
    """A constant default also lives in the database, so adding the column fills old rows."""
    value = field.default
    if value is None or not field_type(field.type).server_default:
        return None
    if field.type == "boolean":
        return true() if value else false()
    return str(value)
