"""What an uploaded file is, read from its bytes: never from its name or what the browser
says (an HTML page renamed photo.jpg is HTML). Images are opened by Pillow, which decodes
their headers as any viewer would, so a truncated or disguised image is not an image; the
other accepted kinds are told by their signatures."""

from __future__ import annotations

import io
import warnings
import zipfile

from PIL import Image, UnidentifiedImageError

# The images a browser shows inline without running anything (never SVG: it is a page).
IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")
PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TEXT = "text/plain"
UNKNOWN = "application/octet-stream"
# Every type a field's `accept` may name, and the defaults of each field type.
KNOWN_TYPES = (*IMAGE_TYPES, PDF, DOCX, XLSX, TEXT)
DEFAULT_ACCEPT = {"image": IMAGE_TYPES, "file": (PDF, *IMAGE_TYPES, DOCX, XLSX)}
# A short name of each type for messages (JPEG, PDF, Word …).
NAMES = {"image/jpeg": "JPEG", "image/png": "PNG", "image/gif": "GIF", "image/webp": "WebP",
         PDF: "PDF", DOCX: "Word (.docx)", XLSX: "Excel (.xlsx)", TEXT: "TXT"}
_PILLOW = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}
_MARKUP = (b"<!doctype", b"<html", b"<svg", b"<?xml", b"<script", b"<head", b"<body",
           b"<iframe")


def sniff(data: bytes) -> str:
    """The content type of `data`, one of KNOWN_TYPES, 'text/html' for markup (HTML, SVG,
    XML: pages, never accepted) or UNKNOWN."""
    head = data[:1024].lstrip().lower()
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"PK\x03\x04"):
        return _office(data)
    image = _image(data)
    if image:
        return image
    if any(marker in head for marker in _MARKUP):
        return "text/html"
    return TEXT if _is_text(data) else UNKNOWN


def _image(data: bytes) -> str | None:
    try:
        with warnings.catch_warnings():
            # An image of more pixels than Pillow's limit (a decompression bomb: a small file
            # that fills the memory when its thumbnail is made) is no image here.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                kind = _PILLOW.get(img.format or "")
                img.verify()  # the structure of the whole file, not just its first bytes
                return kind
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
            Image.DecompressionBombError, Image.DecompressionBombWarning):
        return None


def _office(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError):
        return UNKNOWN
    if "[Content_Types].xml" in names:
        if any(n.startswith("word/") for n in names):
            return DOCX
        if any(n.startswith("xl/") for n in names):
            return XLSX
    return UNKNOWN


def _is_text(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def type_names(types: tuple[str, ...]) -> str:
    """`JPEG, PNG, PDF` — types as a person reads them."""
    return ", ".join(NAMES.get(t, t) for t in types)
