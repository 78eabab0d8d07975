"""Stored signatures (table portal_signature, revision 0010): the re-encoded PNG of each
signature drawn into a signature field, with its hash, who signed, when and from where.

A record's signature column holds the id of its row. They live in the database, not on one
server's disk, so every app server shows them; they are evidence, so a new signature of a
field is a new row (signing again never overwrites the old image)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from flask import has_request_context, request
from flask_appbuilder import Model
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import DateTime, ForeignKey, Integer, LargeBinary, String, event, update
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship
from sqlalchemy.orm.attributes import set_committed_value

from app.db.users import current_user_id
from app.spec import FieldSpec, FormSpec


class Signature(Model):
    """One drawn signature of one field of one record."""

    __tablename__ = "portal_signature"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    form: Mapped[str] = mapped_column(String(100))
    field: Mapped[str] = mapped_column(String(100))
    # The record it was drawn for: set when the record is saved (a new record has no id yet).
    record_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    png: Mapped[bytes] = deferred(mapped_column(LargeBinary))  # lists never load the image
    sha256: Mapped[str] = mapped_column(String(64))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    signed_by_fk: Mapped[int | None] = mapped_column(Integer, ForeignKey("ab_user.id"),
                                                     nullable=True)
    signed_at: Mapped[dt.datetime] = mapped_column(DateTime)
    signer_ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    user_agent: Mapped[str | None] = mapped_column(String(255), nullable=True)
    signed_by: Mapped[User | None] = relationship(User, lazy="selectin")

    def __str__(self) -> str:
        return f"signature {self.sha256[:12]}"


def maker(form_key: str) -> Callable[[FieldSpec], Callable[[Any], Signature]]:
    """For a form's context (app/records/forms.py): a field's drawing → a new Signature by
    the signed-in user, now, from the request's address and browser."""
    def of_field(field: FieldSpec) -> Callable[[Any], Signature]:
        def make(image: Any) -> Signature:
            ip = agent = None
            if has_request_context():
                ip = (request.remote_addr or "")[:64] or None
                agent = (request.user_agent.string or "")[:255] or None
            return Signature(form=form_key, field=field.key, png=image.png,
                             sha256=image.sha256, width=image.width, height=image.height,
                             signed_by_fk=current_user_id(),
                             signed_at=dt.datetime.now().replace(microsecond=0),
                             signer_ip=ip, user_agent=agent)
        return make
    return of_field


def link_on_save(model: type, form: FormSpec) -> None:
    """Once a record is saved, its new signatures name it (record_id)."""
    keys = [f.key for f in form.fields if f.signed]
    if not keys:
        return

    def link(mapper: Any, connection: Any, target: Any) -> None:
        for key in keys:
            signature = target.__dict__.get(key)
            if signature is not None and signature.record_id is None:
                connection.execute(update(Signature.__table__)
                                   .where(Signature.__table__.c.id == signature.id)
                                   .values(record_id=target.id))
                set_committed_value(signature, "record_id", target.id)

    event.listen(model, "after_insert", link)
    event.listen(model, "after_update", link)
