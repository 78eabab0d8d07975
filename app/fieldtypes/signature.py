"""Signature fields: a signature drawn with a finger, pen or mouse on a canvas (the add and
edit forms, app/static/portal/signature.js) is posted as a data:image/png;base64 value, checked
here to really be a PNG of sane size that is not blank, re-encoded (only its pixels are kept)
and stored by app/db/signatures.py with who signed and when. Shown as the image with its signer
and time on the record page and in print, 已签名 / 未签名 in lists and exports."""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import warnings
from dataclasses import dataclass
from typing import Any

from flask import has_request_context, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from PIL import Image, UnidentifiedImageError
from wtforms import Field
from wtforms.validators import StopValidation

from app.fieldtypes.forms import lazy
from app.fieldtypes.values import FieldError
from app.spec import FieldSpec

PREFIX = "data:image/png;base64,"
MAX_BYTES = 512 * 1024  # a drawn signature is a few KB; a high-DPI phone's some 30 KB
MAX_WIDTH, MAX_HEIGHT = 4000, 2000  # pixels, checked before the image is decoded
STORED_WIDTH, STORED_HEIGHT = 1200, 600  # larger drawings are scaled down to fit
INK = 200  # a pixel darker than this (on white) is ink: a signature without any is blank
# The record page and the print view show the image; lists and exports the words.
IMAGE_PAGES = ("show", "reveal", "print", "edit")

NOT_PNG = _l("The signature is not a PNG image; sign again in the box.")
BLANK = _l("The signature is blank: sign in the box.")
REQUIRED = _l("Sign in the box.")


class SignatureRefused(ValueError):
    """A posted signature that is not stored, and why (in the request's language)."""

    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message


class BlankSignature(SignatureRefused):
    """An image without ink: no signature (refused only where one is required)."""


@dataclass(frozen=True)
class SignatureImage:
    """A checked signature, re-encoded: what is stored."""

    png: bytes
    sha256: str
    width: int
    height: int


def read_signature(text: str) -> SignatureImage:
    """A posted `data:image/png;base64,…` value as a checked, re-encoded PNG;
    SignatureRefused with the reason otherwise."""
    text = text.strip()
    if not text.startswith(PREFIX):
        raise SignatureRefused(NOT_PNG)
    encoded = text[len(PREFIX):]
    if len(encoded) > (MAX_BYTES * 4) // 3 + 4:
        raise SignatureRefused(_l("The signature image is too large (at most %(kb)d KB); "
                                  "sign again.", kb=MAX_BYTES // 1024))
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise SignatureRefused(NOT_PNG) from None
    return check_png(raw)


def check_png(raw: bytes) -> SignatureImage:
    """PNG bytes checked (format, size, pixel dimensions, ink) and re-encoded."""
    if len(raw) > MAX_BYTES:
        raise SignatureRefused(_l("The signature image is too large (at most %(kb)d KB); "
                                  "sign again.", kb=MAX_BYTES // 1024))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(raw), formats=["PNG"])
            if image.width > MAX_WIDTH or image.height > MAX_HEIGHT:
                raise SignatureRefused(_l(
                    "The signature image is too large (at most %(width)d × %(height)d "
                    "pixels); sign again.", width=MAX_WIDTH, height=MAX_HEIGHT))
            image.load()
    except SignatureRefused:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError,
            Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise SignatureRefused(NOT_PNG) from None
    rgba = image.convert("RGBA")
    white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    darkest = Image.alpha_composite(white, rgba).convert("L").getextrema()[0]
    if darkest >= INK:  # type: ignore[operator]
        raise BlankSignature(BLANK)
    rgba.thumbnail((STORED_WIDTH, STORED_HEIGHT))
    out = io.BytesIO()
    rgba.save(out, format="PNG", optimize=True)  # pixels only: no text chunks, no profile
    png = out.getvalue()
    return SignatureImage(png, hashlib.sha256(png).hexdigest(), rgba.width, rgba.height)


# -- the form field ------------------------------------------------------------------------
class SignatureWidget:
    """The stored signature (with 重新签名), a canvas to draw on, 清除, and the hidden input
    the script fills with the drawing as a data: URI. Without a new drawing the stored
    signature is kept."""

    def __call__(self, field: Any, **kwargs: Any) -> Markup:
        stored = field.data
        posted = field.raw_data[0] if field.image is not None and field.raw_data else ""
        box = Markup('<div class="portal-signature" id="{0}-box" data-field="{0}">').format(
            field.id)
        if stored is not None:
            box += Markup('<div class="portal-signature-stored">{0}<button type="button" '
                          'class="btn btn-default btn-sm portal-signature-again">{1}</button>'
                          '</div>').format(figure(stored), _("Sign again"))
        # the field's own help is shown under it (FAB's description): no second hint here
        hint = "" if field.description else _("Sign with a finger, a pen or the mouse in the box.")
        box += Markup(
            '<div class="portal-signature-pad"{0}><canvas class="portal-signature-canvas" '
            'role="img" aria-label="{1}"></canvas><div class="portal-signature-tools">'
            '<button type="button" class="btn btn-default btn-sm portal-signature-clear">'
            '{2}</button> <span class="text-muted">{3}</span></div></div>'
            '<input type="hidden" name="{4}" id="{5}" value="{6}"></div>').format(
            # The canvas opens at once where nothing is stored, after a refusal, and for a
            # drawing posted with a form refused for another field (the script redraws it).
            Markup(" hidden") if stored is not None and not posted and not field.errors
            else "", field.label.text, _("Clear"),
            hint, field.name, field.id, posted)
        return box


class SignatureField(Field):
    """The stored signature (a portal_signature row) as data; a new drawing becomes a new
    row through `make` (the signed-in user, now) when the form populates the record."""

    widget = SignatureWidget()

    def __init__(self, *args: Any, make: Any = None, required: bool = False,
                 **kwargs: Any) -> None:
        kwargs.pop("default", None)  # no default signature
        super().__init__(*args, **kwargs)
        self.make, self.required = make, required
        self.image: SignatureImage | None = None
        self.problem: Any = None

    def process_formdata(self, valuelist: list) -> None:
        """A drawing replaces the stored signature; nothing posted keeps it."""
        self.image = self.problem = None
        text = str(valuelist[0]) if valuelist else ""
        if not text.strip():
            return
        try:
            self.image = read_signature(text)
        except BlankSignature as exc:
            if self.required:
                self.problem = exc.message
        except SignatureRefused as exc:
            self.problem = exc.message

    def pre_validate(self, form: Any) -> None:
        if self.problem is not None:
            raise StopValidation(str(self.problem))
        if self.required and self.image is None and self.data is None:
            raise StopValidation(str(REQUIRED))

    def populate_obj(self, obj: Any, name: str) -> None:
        if self.image is not None:
            setattr(obj, name, self.make(self.image))


def signature_field(field: FieldSpec, ctx: Any, kind: Any) -> Any:
    kw: dict[str, Any] = {"label": lazy(field.label)}
    if field.help:
        kw["description"] = lazy(field.help)
    make = ctx.signature(field) if ctx.signature is not None else None
    return SignatureField(make=make, required=field.required, **kw)


# -- shown, exported, sent -----------------------------------------------------------------
def signer(signature: Any) -> str:
    user = getattr(signature, "signed_by", None)
    return str(user) if user is not None else ""


def signed_at(signature: Any) -> str:
    at = getattr(signature, "signed_at", None)
    return at.strftime("%Y-%m-%d %H:%M:%S") if at is not None else ""


def caption(signature: Any) -> str:
    """签名人 X · 时间."""
    return _("Signed by %(user)s · %(time)s", user=signer(signature),
             time=signed_at(signature))


def image_url(signature: Any) -> str:
    return url_for("SignatureView.image", pk=signature.id)


def figure(signature: Any) -> Markup:
    return Markup('<figure class="portal-signature-shown"><img src="{0}" alt="{1}" '
                  'width="{2}" height="{3}"><figcaption>{4}</figcaption></figure>').format(
        image_url(signature), _("Signature"), signature.width, signature.height,
        caption(signature))


def signed_text(signature: Any) -> str:
    """已签名（签名人 X · 时间）: an export's cell, a PDF's plain value."""
    return _("Signed (%(caption)s)", caption=caption(signature))


def show(field: FieldSpec) -> Any:
    """The record page and print view: the image with who and when; a list: 已签名."""
    def cell(value: Any) -> Any:
        if value is None:
            return _("Not signed")
        page = (request.endpoint or "").rsplit(".", 1)[-1] if has_request_context() else ""
        if page in IMAGE_PAGES:
            return figure(value)
        if page == "list":
            return _("Signed")
        return signed_text(value)
    return cell


def export(field: FieldSpec) -> Any:
    return lambda value: _("Not signed") if value is None else signed_text(value)


def to_json(field: FieldSpec, value: Any) -> Any:
    """{signed_by, signed_at, url}: the PNG from the form's API (row scope applies)."""
    record = getattr(value, "record_id", None)
    url = (f"/api/v1/{value.form}/{record}/signature/{field.key}" if record is not None
           else None)
    return {"signed_by": signer(value) or None, "signed_at": signed_at(value) or None,
            "url": url}


def from_json(field: FieldSpec, value: Any) -> list[str]:
    """A new signature as the canvas posts it (data:image/png;base64,…)."""
    if not isinstance(value, str):
        raise FieldError(_("Send a signature as a data:image/png;base64 text."))
    return [value]


def data_uri(signature: Any) -> str:
    """A stored signature as a data: URI, for PDF templates (WeasyPrint fetches nothing
    else); '' for anything that is not a stored signature."""
    png = getattr(signature, "png", None) if type(signature).__name__ == "Signature" else None
    if not isinstance(png, bytes):
        return ""
    return PREFIX + base64.b64encode(png).decode("ascii")
