"""Files for the upload tests: real images made by Pillow, a page disguised as a photo, and
how a test looks into the file table and both storages."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import func, select
from werkzeug.test import EnvironBuilder

EVIL_HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"


def image_bytes(fmt: str = "JPEG", size: tuple[int, int] = (64, 48),
                colour: str = "red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, fmt)
    return out.getvalue()


def pdf_bytes() -> bytes:
    return b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def upload(data: bytes, name: str) -> tuple[io.BytesIO, str]:
    """A file as the test client posts it (werkzeug: (stream, file name))."""
    return io.BytesIO(data), name


def file_rows(app: Flask, **where: Any) -> list[Any]:
    from app.files.model import PortalFile

    with app.app_context():
        session = app.appbuilder.session
        rows = list(session.scalars(select(PortalFile).filter_by(**where)
                                    .order_by(PortalFile.id)))
        for row in rows:
            session.expunge(row)
        return rows


def stored_count(app: Flask) -> int:
    """Files in the app's storage: chunks' keys in the database, files in the folder."""
    from app.files.model import PortalFileChunk

    if app.config["PORTAL_FILE_STORAGE"] == "database":
        with app.app_context():
            return int(app.appbuilder.session.scalar(
                select(func.count(func.distinct(PortalFileChunk.key)))) or 0)
    root = Path(app.config["PORTAL_FILE_DIR"])
    return len([p for p in root.rglob("*") if p.is_file()]) if root.exists() else 0


def post_multipart(client: FlaskClient, url: str, data: dict[str, Any]) -> Any:
    """A multipart POST whose spooled body (a large file) is closed however the request
    ends (a refused one leaves it open)."""
    builder = EnvironBuilder(path=url, method="POST", base_url="http://portal.test", data=data,
                             content_type="multipart/form-data")
    request = builder.get_request()
    try:
        return client.open(request)
    finally:
        request.environ["wsgi.input"].close()
        builder.close()
