"""The upload input of file and image fields (app/fieldtypes/uploads.py), on its own: what
it takes, the messages it refuses with, what it hands to the screen."""

from __future__ import annotations

import io
from typing import Any

import pytest
from flask import Flask
from werkzeug.datastructures import FileStorage, MultiDict
from wtforms import Form

from app.fieldtypes import uploads
from app.fieldtypes.sniff import PDF
from app.spec import FieldSpec, Label
from tests.support.files import EVIL_HTML, image_bytes, pdf_bytes

IMAGE = FieldSpec("photos", Label("照片", "Photos"), "image", max_files=2, max_size_mb=1)
DOCS = FieldSpec("docs", Label("证明", "Documents"), "file", required=True, accept=(PDF,))


def _form(spec: FieldSpec, files: list[tuple[str, bytes]], removed: tuple[str, ...] = (),
          attached: list[uploads.Attached] | None = None) -> Any:
    field = uploads.UploadField(label="x", spec=spec, existing=lambda: attached or [])
    form = type("F", (Form,), {spec.key: field})(formdata=MultiDict(
        [(spec.key, FileStorage(io.BytesIO(data), filename=name)) for name, data in files]
        + [(spec.key + uploads.REMOVE, r) for r in removed]))
    return form


def test_accepted_files_are_handed_on_with_their_sniffed_type(app: Flask) -> None:
    with app.test_request_context():
        form = _form(IMAGE, [("C:\\相机\\IMG_1.JPG", image_bytes("JPEG")),
                             ("b.png", image_bytes("PNG"))])
        assert form.validate(), form.errors
        assert [(u.name, u.content_type) for u in form.photos.uploads] == [
            ("IMG_1.JPG", "image/jpeg"), ("b.png", "image/png")]

        class Record:
            pass
        record = Record()
        form.populate_obj(record)
        pending = record.__dict__["portal_pending_files"]["photos"]
        assert (len(pending.uploads), pending.removed) == (2, [])
        assert not hasattr(record, "photos")  # the screen sets the column, not the form


@pytest.mark.parametrize(("spec", "files", "removed", "message"), [  # 2 files attached
    (IMAGE, [("evil.jpg", EVIL_HTML)], ("1",),
     "“evil.jpg”不是允许的文件（其内容为 网页）；允许：JPEG, PNG, GIF, WebP。"),
    (IMAGE, [("x.bin", b"\x00\x01")], ("1",),
     "“x.bin”不是允许的文件（其内容为 未知格式）；允许：JPEG, PNG, GIF, WebP。"),
    (IMAGE, [("big.png", b"\x00" * ((1 << 20) + 1))], ("1",), "“big.png”超过 1 MB。"),
    (IMAGE, [("empty.png", b"")], ("1",), "“empty.png”是空文件。"),
    (IMAGE, [("c.png", image_bytes("PNG"))], (), "此处最多可附 2 个文件。"),
    (DOCS, [("photo.jpg", image_bytes("JPEG"))], ("1", "2"),
     "“photo.jpg”不是允许的文件（其内容为 JPEG）；允许：PDF。"),
    (DOCS, [], ("1", "2"), "此项为必填项。"),  # every attached one removed, none added
], ids=["page", "unknown", "too-large", "empty", "too-many", "not-accepted", "required"])
def test_refusals_name_the_file_and_the_rule(app: Flask, spec: FieldSpec, files: list,
                                             removed: tuple, message: str) -> None:
    attached = [uploads.Attached(1, "a.png", 10, "/files/a"),
                uploads.Attached(2, "b.png", 10, "/files/b")]
    with app.test_request_context():
        form = _form(spec, files, removed, attached)
        assert not form.validate()
        assert form.errors == {spec.key: [message]}


def test_removing_makes_room_for_new_files(app: Flask) -> None:
    attached = [uploads.Attached(7, "a.png", 10, "/files/a"),
                uploads.Attached(8, "b.png", 10, "/files/b")]
    with app.test_request_context():
        form = _form(IMAGE, [("c.png", image_bytes("PNG"))], ("8", "x", "../7"), attached)
        assert form.validate(), form.errors
        assert form.photos.removed == [8]  # only ids: anything else is ignored
        page = form.photos()
        assert 'name="photos__remove" value="7"' in page and 'accept="image/*" multiple' in page
        assert "最多 2 个文件，每个不超过 1 MB：JPEG, PNG, GIF, WebP" in page


def test_what_lists_exports_and_the_api_make_of_the_names(app: Flask) -> None:
    with app.test_request_context():
        assert str(uploads.file_count(IMAGE)("a.jpg\nb.jpg")) == (
            '<span class="portal-file-count"><i class="fa fa-image"></i> 2</span>')
        assert uploads.file_names(IMAGE)("a.jpg\nb.jpg") == "a.jpg、b.jpg"
        assert uploads.names_out(IMAGE, "a.jpg\nb.jpg") == ["a.jpg", "b.jpg"]
        with pytest.raises(ValueError, match="文件请在记录的编辑页面上传。"):
            uploads.files_in(IMAGE, ["a.jpg"])
    assert uploads.clean_name("../../etc/passwd\n") == "passwd"
    assert uploads.clean_name("/") == "file"
    assert uploads.size_text(2_500_000) == "2.4 MB" and uploads.size_text(300) == "1 KB"


def test_a_file_field_takes_what_it_accepts(app: Flask) -> None:
    with app.test_request_context():
        form = _form(DOCS, [("病历.PDF", pdf_bytes())])
        assert form.validate(), form.errors
        assert [(u.name, u.content_type) for u in form.docs.uploads] == [("病历.PDF", PDF)]
        assert 'accept="application/pdf"' in form.docs() and " multiple" not in form.docs()
