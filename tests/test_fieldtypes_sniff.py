"""What an upload is, from its bytes alone (app/fieldtypes/sniff.py)."""

from __future__ import annotations

import io
import zipfile

import pytest

from app.fieldtypes.sniff import DOCX, PDF, UNKNOWN, XLSX, sniff, type_names
from tests.support.files import EVIL_HTML, image_bytes, pdf_bytes


def _zip(*names: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in names:
            archive.writestr(name, "<x/>")
    return out.getvalue()


@pytest.mark.parametrize(("fmt", "expected"), [
    ("JPEG", "image/jpeg"), ("PNG", "image/png"), ("GIF", "image/gif"), ("WEBP", "image/webp"),
])
def test_images_are_what_pillow_decodes(fmt: str, expected: str) -> None:
    assert sniff(image_bytes(fmt)) == expected


@pytest.mark.parametrize(("data", "expected"), [
    (pdf_bytes(), PDF),
    (_zip("[Content_Types].xml", "word/document.xml"), DOCX),
    (_zip("[Content_Types].xml", "xl/workbook.xml"), XLSX),
    (_zip("readme.txt"), UNKNOWN),  # a zip is not a document
    (EVIL_HTML, "text/html"),
    (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script/></svg>',
     "text/html"),  # SVG is a page: never an image here
    (b"\xff\xd8\xff\xe0<html><script>alert(1)</script>", "text/html"),  # a JPEG's first bytes
    (image_bytes("JPEG")[:40], UNKNOWN),  # a cut-off JPEG is not a JPEG
    ("批号 A123 的投诉记录".encode(), "text/plain"),
    (b"\x00\x01\x02binary", UNKNOWN),
], ids=["pdf", "docx", "xlsx", "zip", "html", "svg", "jpeg-magic-then-html", "truncated-jpeg",
        "text", "binary"])
def test_other_kinds_by_their_content(data: bytes, expected: str) -> None:
    assert sniff(data) == expected


def test_types_read_as_names() -> None:
    assert type_names(("image/jpeg", PDF, DOCX)) == "JPEG, PDF, Word (.docx)"


def test_an_image_of_too_many_pixels_is_no_image(monkeypatch) -> None:
    """A decompression bomb (few bytes, a huge canvas) is refused before any thumbnail."""
    from PIL import Image

    data = image_bytes("PNG", size=(300, 200))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 300 * 200 - 1)  # just over the limit
    assert sniff(data) == UNKNOWN
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 300 * 200)
    assert sniff(data) == "image/png"
