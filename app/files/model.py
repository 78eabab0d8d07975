"""The tables of uploaded files: one row per file (whose record and field it belongs to, what
it is), and the chunks of the database storage's bytes."""

from __future__ import annotations

import datetime as dt

from flask_appbuilder import Model
from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column


class PortalFile(Model):
    """One file of one field of one record. A field retired from the YAML keeps its rows (and
    their bytes): nothing here is deleted with the field."""

    __tablename__ = "portal_file"
    __table_args__ = (Index("ix_portal_file_record", "form", "record_id", "field"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Unguessable: downloads are addressed by it, so ids cannot be walked (access is checked
    # anyway: the form's show permission and the record's row scope).
    token: Mapped[str] = mapped_column(String(43), unique=True)
    form: Mapped[str] = mapped_column(String(100))
    field: Mapped[str] = mapped_column(String(100))
    record_id: Mapped[int] = mapped_column(Integer)
    storage: Mapped[str] = mapped_column(String(20))  # folder / database: where its bytes are
    key: Mapped[str] = mapped_column(String(64))  # its name in that storage
    name: Mapped[str] = mapped_column(String(255))  # as the uploader's device named it
    content_type: Mapped[str] = mapped_column(String(100))  # sniffed from its bytes
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_fk: Mapped[int | None] = mapped_column(Integer, ForeignKey("ab_user.id"),
                                                       nullable=True)
    uploaded_on: Mapped[dt.datetime] = mapped_column(DateTime)
    # An image's small copy for the record page, made once when it is uploaded (not read with
    # the row: a record page lists rows, then its <img> tags ask for these one by one).
    thumbnail: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True, deferred=True)
    thumbnail_type: Mapped[str | None] = mapped_column(String(20), nullable=True)


class PortalFileChunk(Model):
    """The database storage: a file's bytes in pieces of CHUNK bytes (app/files/storage.py),
    the same on SQLite and PostgreSQL, so every app server reads what any of them stored."""

    __tablename__ = "portal_file_chunk"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
