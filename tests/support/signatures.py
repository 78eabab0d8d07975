"""Signatures for tests: PNGs drawn in Python as the canvas would post them."""

from __future__ import annotations

import base64
import datetime as dt
import io
from typing import Any

from PIL import Image, ImageDraw

PREFIX = "data:image/png;base64,"


def drawn_png(width: int = 600, height: int = 180, ink: bool = True,
              background: tuple[int, int, int, int] = (0, 0, 0, 0)) -> bytes:
    """A transparent canvas with a stroke across it (or none: blank)."""
    image = Image.new("RGBA", (width, height), background)
    if ink:
        ImageDraw.Draw(image).line([(20, height - 40), (width // 2, 30), (width - 20,
                                    height - 30)], fill=(0, 0, 0, 255), width=5)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def data_uri(png: bytes) -> str:
    return PREFIX + base64.b64encode(png).decode("ascii")


def signature_post(**kwargs: object) -> str:
    """A drawn signature as the canvas posts it."""
    return data_uri(drawn_png(**kwargs))  # type: ignore[arg-type]


def stored_signature(app: Any, form: str, field: str, username: str, width: int = 600) -> Any:
    """A new signature row drawn by `username` (for make_record's values)."""
    from app.db.signatures import Signature
    from app.fieldtypes.signature import check_png

    image = check_png(drawn_png(width=width))
    with app.app_context():
        signer = app.appbuilder.sm.find_user(username=username).id
    return Signature(form=form, field=field, png=image.png, sha256=image.sha256,
                     width=image.width, height=image.height, signed_by_fk=signer,
                     signed_at=dt.datetime(2026, 12, 6, 10, 30))
