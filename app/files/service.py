"""Storing, listing, reading and removing the files of a record's field, and the thumbnails
of images. The screens (app/views/files.py) check who may; this module only keeps files."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import secrets
from collections.abc import Iterable
from typing import Any, BinaryIO

from PIL import Image, ImageOps
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.files.model import PortalFile
from app.files.storage import storage

THUMB_PX = 240  # the longer side of a record page's thumbnail


def files_of(session: Session, form: str, field: str, record_id: int) -> list[PortalFile]:
    """The files of one field of one record, in upload order."""
    return list(session.scalars(select(PortalFile).where(
        PortalFile.form == form, PortalFile.record_id == record_id,
        PortalFile.field == field).order_by(PortalFile.id)))


def files_of_record(session: Session, form: str, record_id: int) -> dict[str, list[PortalFile]]:
    """Every file of one record, by field (one query for a record page)."""
    out: dict[str, list[PortalFile]] = {}
    for row in session.scalars(select(PortalFile).where(
            PortalFile.form == form, PortalFile.record_id == record_id).order_by(PortalFile.id)):
        out.setdefault(row.field, []).append(row)
    return out


def by_token(session: Session, token: str) -> PortalFile | None:
    if not token or len(token) > 43:
        return None
    return session.scalar(select(PortalFile).where(PortalFile.token == token))


def store(session: Session, *, form: str, field: str, record_id: int, name: str, data: bytes,
          content_type: str, user_id: int | None) -> PortalFile:
    """Keep one file in the configured storage and add its row (the caller commits)."""
    where = storage(session=session)
    key = where.put(io.BytesIO(data))
    row = PortalFile(token=secrets.token_urlsafe(32), form=form, field=field,
                     record_id=record_id, storage=where.name, key=key, name=name,
                     content_type=content_type, size=len(data),
                     sha256=hashlib.sha256(data).hexdigest(), uploaded_by_fk=user_id,
                     uploaded_on=dt.datetime.now())
    if content_type.startswith("image/"):  # sniffed: an image Pillow opened
        # one Pillow cannot shrink is still kept and downloaded; its thumbnail is tried again
        # when a page asks for it
        with contextlib.suppress(OSError, ValueError, Image.DecompressionBombError):
            row.thumbnail, row.thumbnail_type = thumbnail(data)
    session.add(row)
    return row


def discard(session: Session, rows: Iterable[PortalFile]) -> None:
    """Remove files: their rows and their bytes (the caller commits)."""
    for row in rows:
        storage(row.storage, session).delete(row.key)
        session.delete(row)


def open_file(session: Session, row: PortalFile) -> BinaryIO:
    return storage(row.storage, session).open(row.key)  # type: ignore[no-any-return]


def thumbnail(data: bytes, px: int = THUMB_PX) -> tuple[bytes, str]:
    """A small copy of an image (turned as the camera held it), as PNG when it has
    transparency and JPEG otherwise."""
    with Image.open(io.BytesIO(data)) as opened:
        img = ImageOps.exif_transpose(opened)
        img.thumbnail((px, px))
        out = io.BytesIO()
        if img.mode in ("RGBA", "LA", "P"):
            img.save(out, "PNG")
            return out.getvalue(), "image/png"
        img.convert("RGB").save(out, "JPEG", quality=80)
        return out.getvalue(), "image/jpeg"


def names(rows: Iterable[Any]) -> str | None:
    """The column value of a file field: its files' names, one a line (None: no file)."""
    text = "\n".join(r.name for r in rows)
    return text or None
