"""Signature values (app/fieldtypes/signature.py): a posted drawing is decoded, checked to be
a PNG of sane size with ink on it and re-encoded; refusals say why; the form field keeps a
stored signature unless a new one is drawn; lists, exports and the API say who and when."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from PIL import Image, PngImagePlugin
from werkzeug.datastructures import MultiDict

from app.fieldtypes import signature as sig
from app.fieldtypes.forms import FieldContext
from app.fieldtypes.registry import build_field, field_type, to_formdata, to_json
from app.fieldtypes.values import FieldError
from app.records.forms import RecordForm
from app.spec import FieldSpec, Label
from tests.support.signatures import data_uri, drawn_png, signature_post

NOT_PNG = "签名不是有效的图片，请在框内重新签名。"
BLANK = "签名为空白，请在框内签名。"


def _refused(text: str) -> str:
    with pytest.raises(sig.SignatureRefused) as exc:
        sig.read_signature(text)
    return str(exc.value.message)


def test_a_drawing_is_re_encoded_with_its_hash_and_size(app: Flask) -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "<script>alert(1)</script>")  # anything but pixels goes
    image = Image.open(io.BytesIO(drawn_png()))
    out = io.BytesIO()
    image.save(out, format="PNG", pnginfo=info)
    with app.test_request_context():
        stored = sig.read_signature(data_uri(out.getvalue()))
    assert stored.png.startswith(b"\x89PNG") and b"alert" not in stored.png
    assert stored.sha256 == hashlib.sha256(stored.png).hexdigest()
    assert (stored.width, stored.height) == (600, 180)
    again = Image.open(io.BytesIO(stored.png))
    assert again.mode == "RGBA" and not again.text


def test_a_large_drawing_is_scaled_down_to_fit(app: Flask) -> None:
    with app.test_request_context():
        stored = sig.read_signature(signature_post(width=2400, height=600))
    assert (stored.width, stored.height) == (1200, 300)


def test_what_is_not_a_png_is_refused_with_the_reason(app: Flask) -> None:
    jpeg = io.BytesIO()
    Image.new("RGB", (60, 20), "black").save(jpeg, format="JPEG")
    with app.test_request_context():
        assert _refused("hello") == NOT_PNG
        assert _refused("data:image/svg+xml;base64,PHN2Zz4=") == NOT_PNG
        assert _refused(sig.PREFIX + "not base64!") == NOT_PNG
        assert _refused(data_uri(b"\x89PNG\r\n\x1a\n" + b"broken")) == NOT_PNG
        assert _refused(data_uri(jpeg.getvalue())) == NOT_PNG  # a JPEG called a PNG


def test_too_large_in_bytes_or_pixels_is_refused(app: Flask) -> None:
    with app.test_request_context():
        huge = sig.PREFIX + "A" * (sig.MAX_BYTES * 2)
        assert _refused(huge) == "签名图片过大（最多 512 千字节），请重新签名。"
        wide = signature_post(width=sig.MAX_WIDTH + 1, height=20)
        assert _refused(wide) == "签名图片过大（最多 4000 × 2000 像素），请重新签名。"


def test_a_blank_canvas_has_no_signature(app: Flask) -> None:
    with app.test_request_context():
        assert _refused(signature_post(ink=False)) == BLANK
        white = signature_post(ink=False, background=(255, 255, 255, 255))
        assert _refused(white) == BLANK


def _field(**kw: Any) -> FieldSpec:
    return FieldSpec(key="x", label=Label("客户签名", "Signature"), type="signature", **kw)


def _form(field: FieldSpec, made: list) -> Any:
    def make(image: Any) -> Any:
        made.append(image)
        return SimpleNamespace(id=99, png=image.png)

    context = FieldContext(datamodel=None, fetch=lambda f: lambda pk: None, label=lambda f: str,
                           signature=lambda f: make)
    return type("One", (RecordForm,), {"x": build_field(field, context)})


def test_the_form_field_stores_a_new_drawing_and_keeps_the_old_one(app: Flask) -> None:
    made: list = []
    old = SimpleNamespace(id=5, width=600, height=180, signed_by="张三",
                          signed_at=dt.datetime(2026, 12, 1, 9, 30))
    with app.test_request_context():
        form_class = _form(_field(required=True), made)
        kept = form_class(formdata=MultiDict([("x", "")]), obj=SimpleNamespace(x=old))
        assert kept.validate()
        record = SimpleNamespace(x=old)
        kept["x"].populate_obj(record, "x")
        assert record.x is old and made == []
        new = form_class(formdata=MultiDict([("x", signature_post())]),
                         obj=SimpleNamespace(x=old))
        assert new.validate()
        new["x"].populate_obj(record, "x")
        assert record.x.id == 99 and len(made) == 1


def test_refusals_and_required_messages_on_the_form(app: Flask) -> None:
    made: list = []
    with app.test_request_context():
        required = _form(_field(required=True), made)
        for posted, message in (("", "请在框内签名。"), (signature_post(ink=False), BLANK),
                                ("data:text/html,<b>x</b>", NOT_PNG)):
            form = required(formdata=MultiDict([("x", posted)]))
            assert not form.validate()
            assert form.errors == {"x": [message]}
        optional = _form(_field(), made)
        blank = optional(formdata=MultiDict([("x", signature_post(ink=False))]))
        assert blank.validate()  # a blank canvas on an optional field: not signed
        bad = optional(formdata=MultiDict([("x", "data:image/png;base64,AAAA")]))
        assert not bad.validate() and bad.errors == {"x": [NOT_PNG]}
    assert made == []


def test_the_widget_shows_the_stored_signature_and_a_canvas(app: Flask) -> None:
    old = SimpleNamespace(id=5, width=600, height=180, signed_by="张三",
                          signed_at=dt.datetime(2026, 12, 1, 9, 30))
    with app.test_request_context():
        form = _form(_field(), [])(obj=SimpleNamespace(x=old))
        html = str(form["x"]())
    assert '<img src="/signature/5"' in html and "签名人 张三 · 2026-12-01 09:30:00" in html
    assert "重新签名" in html and "清除" in html and "portal-signature-canvas" in html
    assert '<div class="portal-signature-pad" hidden>' in html
    assert '<input type="hidden" name="x" id="x" value="">' in html
    with app.test_request_context():  # a field's own help is its only hint (FAB shows it)
        helped = str(_form(_field(), [])(obj=SimpleNamespace(x=None))["x"]())
        described = _form(_field(), [])(obj=SimpleNamespace(x=None))
        described["x"].description = "记录人在框内手写签名"
        widget = str(described["x"]())
        assert "在框内签名" in helped and "在框内签名" not in widget
        assert "记录人在框内手写签名" not in widget  # shown once, under the field, by FAB
    with app.test_request_context():  # refused: the canvas opens again, with the message
        refused = _form(_field(), [])(formdata=MultiDict([("x", "abc")]),
                                      obj=SimpleNamespace(x=old))
        assert not refused.validate()
        assert '<div class="portal-signature-pad">' in str(refused["x"]())


def test_shown_exported_and_sent_as_json(app: Flask) -> None:
    field = _field()
    stored = SimpleNamespace(id=5, form="compensation", record_id=12, width=600, height=180,
                             signed_by="张三", signed_at=dt.datetime(2026, 12, 1, 9, 30))
    with app.test_request_context():
        assert str(field_type("signature").export(field)(stored)) == (
            "已签名（签名人 张三 · 2026-12-01 09:30:00）")
        assert str(field_type("signature").export(field)(None)) == "未签名"
        assert to_json(field, stored) == {"signed_by": "张三", "signed_at": "2026-12-01 09:30:00",
                                          "url": "/api/v1/compensation/12/signature/x"}
        assert to_json(field, None) is None
        assert to_formdata(field, "data:image/png;base64,AAAA") == ["data:image/png;base64,AAAA"]
        with pytest.raises(FieldError, match="签名请以 data:image/png;base64 文本发送。"):
            to_formdata(field, 12)
    cell = sig.show(field)  # by the page: a list says 已签名, the record page shows it
    with app.test_request_context("/compensationview/list/"):
        assert cell(None) == "未签名" and cell(stored) == "已签名"
    with app.test_request_context("/compensationview/show/12"):
        assert '<img src="/signature/5"' in str(cell(stored))
    with app.test_request_context("/"):
        assert cell(stored) == "已签名（签名人 张三 · 2026-12-01 09:30:00）"


def test_data_uri_only_for_a_stored_signature() -> None:
    class Signature:  # the stored row's class name is what counts
        png = b"\x89PNG-bytes"

    assert sig.data_uri(Signature()) == "data:image/png;base64," + base64.b64encode(
        b"\x89PNG-bytes").decode()
    assert sig.data_uri(SimpleNamespace(png=b"x")) == "" and sig.data_uri(None) == ""
