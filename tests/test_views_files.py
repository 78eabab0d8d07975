"""File and image fields through the screens (app/views/files.py), on both storages: upload
with the record, the record page's thumbnails and links, download (audited, nosniff, only
images inline), removal on edit, refusals that store nothing, row scope (404), a retired
field keeping its files."""

from __future__ import annotations

import base64
import io
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image

from app.files import service
from app.files.model import PortalFile
from app.portal import portal_of
from tests.support.app import CONFIG, PASSWORD, csrf_token, login, user_id
from tests.support.factories import REACH, make_record, post_data, two_teams
from tests.support.files import (
    EVIL_HTML,
    file_rows,
    image_bytes,
    post_multipart,
    stored_count,
    upload,
)

ADD = "/complaintview/add"


@pytest.fixture(scope="module", params=["folder", "database"])
def files_app(request: Any, make_app: Any, tmp_path_factory: Any) -> Flask:
    folder = tmp_path_factory.mktemp(f"files-{request.param}")
    return make_app(PORTAL_FILE_STORAGE=request.param, PORTAL_FILE_DIR=str(folder))  # type: ignore[no-any-return]


def _add(app: Flask, client: FlaskClient, username: str, photos: list[Any]) -> Any:
    form = portal_of(app).spec.form("complaint")
    posted, _ = post_data(app, form, user_id(app, username))
    posted["photos"] = photos
    posted["csrf_token"] = csrf_token(client, ADD)
    return post_multipart(client, ADD, posted)


def _record(app: Flask, pk: int) -> Any:
    model = portal_of(app).models.models["complaint"]
    with app.app_context():
        return app.appbuilder.session.get(model, pk)


def _thumbnail(app: Flask, file_id: int) -> bytes | None:
    with app.app_context():
        row = app.appbuilder.session.get(PortalFile, file_id)
        assert row is not None
        return row.thumbnail


def _complaints(app: Flask) -> int:
    model = portal_of(app).models.models["complaint"]
    with app.app_context():
        return int(app.appbuilder.session.scalar(sa.select(sa.func.count()).select_from(model)))


def _downloads(app: Flask, record_id: int) -> list[dict]:
    with app.app_context():
        rows = app.appbuilder.session.execute(sa.text(
            "select details from portal_audit_event where action = 'download' "
            "and form = 'complaint' and record_id = :r"), {"r": str(record_id)}).all()
    return [json.loads(r.details) for r in rows]


def test_upload_show_download_and_remove_round_trip(files_app: Flask) -> None:
    app = files_app
    client = app.test_client()
    login(client, "staff")
    photo = image_bytes("JPEG")
    before = stored_count(app)
    response = _add(app, client, "staff", [upload(photo, "产品照片.jpg")])
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    pk = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[-1])
    [row] = file_rows(app, form="complaint", record_id=pk)
    assert (row.field, row.name, row.content_type, row.size) == (
        "photos", "产品照片.jpg", "image/jpeg", len(photo))
    assert row.storage == app.config["PORTAL_FILE_STORAGE"]
    assert row.uploaded_by_fk == user_id(app, "staff") and len(row.token) >= 40
    assert _record(app, pk).photos == "产品照片.jpg"
    assert stored_count(app) == before + 1

    page = client.get(f"/complaintview/show/{pk}").get_data(as_text=True)
    assert f'href="/files/{row.token}"' in page and f'src="/files/{row.token}/thumb"' in page

    got = client.get(f"/files/{row.token}")
    assert got.is_streamed and got.headers["Content-Length"] == str(len(photo))  # chunk by chunk
    assert got.status_code == 200 and got.data == photo and got.mimetype == "image/jpeg"
    assert got.headers["Content-Disposition"] == (
        "inline; filename=\"____.jpg\"; filename*=UTF-8''%E4%BA%A7%E5%93%81%E7%85%A7%E7%89%87.jpg")
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert got.headers["Content-Security-Policy"].startswith("sandbox")
    assert _downloads(app, pk) == [{"field": "photos", "file": "产品照片.jpg",
                                    "size": len(photo), "sha256": row.sha256}]
    thumb = client.get(f"/files/{row.token}/thumb")
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"
    assert Image.open(io.BytesIO(thumb.data)).size == (64, 48)  # small already: as it is
    assert thumb.data == _thumbnail(app, row.id)  # made once, at upload, and kept

    # Edit: the photo removed, two others added; its bytes go, theirs are stored.
    edit_page = client.get(f"/complaintview/edit/{pk}").get_data(as_text=True)
    assert f'name="photos__remove" value="{row.id}"' in edit_page
    assert 'accept="image/*" multiple' in edit_page
    form = portal_of(app).spec.form("complaint")
    posted, _ = post_data(app, form, user_id(app, "staff"))
    posted.update({"photos": [upload(image_bytes("PNG"), "a.png"),
                              upload(image_bytes("GIF"), "b.gif")],
                   "photos__remove": str(row.id), "version": "1",
                   "csrf_token": csrf_token(client, f"/complaintview/edit/{pk}")})
    response = post_multipart(client, f"/complaintview/edit/{pk}", posted)
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    rows = file_rows(app, form="complaint", record_id=pk)
    assert [(r.name, r.content_type) for r in rows] == [("a.png", "image/png"),
                                                        ("b.gif", "image/gif")]
    assert _record(app, pk).photos == "a.png\nb.gif" and _record(app, pk).version == 2
    assert stored_count(app) == before + 2
    assert client.get(f"/files/{row.token}").status_code == 404  # removed

    # A deleted record's files go with it (admin: staff may not delete complaints).
    admin = app.test_client()
    login(admin, "admin")
    response = admin.post(f"/complaintview/delete/{pk}", data={
        "csrf_token": csrf_token(admin, "/complaintview/list/")})
    assert response.status_code == 302 and _record(app, pk) is None
    assert file_rows(app, form="complaint", record_id=pk) == []
    assert stored_count(app) == before


@pytest.mark.parametrize(("files", "message"), [
    ([("evil.jpg", EVIL_HTML)],
     "“evil.jpg”不是允许的文件（其内容为 网页）；允许：JPEG, PNG, GIF, WebP。"),
    ([("big.jpg", b"\xff" * ((10 << 20) + 1))], "“big.jpg”超过 10 MB。"),
    ([(f"p{i}.png", image_bytes("PNG")) for i in range(6)], "此处最多可附 5 个文件。"),
    ([("report.pdf", b"%PDF-1.4\n%%EOF\n")],
     "“report.pdf”不是允许的文件（其内容为 PDF）；允许：JPEG, PNG, GIF, WebP。"),
], ids=["html-renamed-jpg", "too-large", "too-many", "pdf-in-image-field"])
def test_refused_files_say_why_and_store_nothing(files_app: Flask, files: list,
                                                 message: str) -> None:
    app = files_app
    client = app.test_client()
    login(client, "staff")
    records, rows, stored = _complaints(app), len(file_rows(app)), stored_count(app)
    response = _add(app, client, "staff", [upload(data, name) for name, data in files])
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert (_complaints(app), len(file_rows(app)), stored_count(app)) == (
        records, rows, stored)


def _store(app: Flask, record_id: int, data: bytes, name: str, content_type: str) -> Any:
    """A file stored as the screen stores it, whatever it holds; the column names it."""
    with app.app_context():
        session = app.appbuilder.session
        row = service.store(session, form="complaint", field="photos", record_id=record_id,
                            name=name, data=data, content_type=content_type, user_id=None)
        session.execute(sa.text("update form_complaint set photos = :n where id = :i"),
                        {"n": name, "i": record_id})
        session.commit()
        session.refresh(row)
        session.expunge(row)
        return row


def test_only_users_who_reach_the_record_get_its_file(files_app: Flask) -> None:
    app = files_app
    records = two_teams(app, PASSWORD)
    tokens = {name: _store(app, pk, image_bytes(), f"{name}.jpg", "image/jpeg").token
              for name, pk in records.items()}
    for username, reach in REACH.items():
        client = app.test_client()
        login(client, username)
        for name, token in tokens.items():
            expected = 200 if name in reach else 404
            assert client.get(f"/files/{token}").status_code == expected, (username, name)
            assert client.get(f"/files/{token}/thumb").status_code == expected
    anonymous = app.test_client().get(f"/files/{tokens['by_staff']}")
    assert anonymous.status_code == 302 and "/login/" in anonymous.headers["Location"]
    client = app.test_client()
    login(client, "admin")
    assert client.get("/files/not-a-token").status_code == 404


def test_a_page_renamed_as_a_photo_is_only_ever_an_attachment(files_app: Flask) -> None:
    """Whatever a stored file holds, only a sniffed image is shown inline: anything else is
    downloaded, typed as bytes, never sniffed by the browser, sandboxed."""
    app = files_app
    record = make_record(app, portal_of(app).spec.form("complaint"))
    row = _store(app, record.id, EVIL_HTML, "evil.jpg", "text/html")
    client = app.test_client()
    login(client, "admin")
    got = client.get(f"/files/{row.token}")
    assert got.status_code == 200 and got.data == EVIL_HTML
    assert got.mimetype == "application/octet-stream"
    assert got.headers["Content-Disposition"] == (
        "attachment; filename=\"evil.jpg\"; filename*=UTF-8''evil.jpg")
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert got.headers["Content-Security-Policy"].startswith("sandbox;")
    assert client.get(f"/files/{row.token}/thumb").status_code == 404
    page = client.get(f"/complaintview/show/{record.id}").get_data(as_text=True)
    assert f'<a href="/files/{row.token}">evil.jpg</a>' in page  # a link, no <img>


def test_a_retired_field_keeps_its_files(make_app: Any, tmp_path: Path) -> None:
    from app.schema.upgrade import upgrade

    cfg = tmp_path / "config"
    shutil.copytree(CONFIG, cfg, ignore=shutil.ignore_patterns("industries"))
    folder = str(tmp_path / "files")
    app = make_app(cfg, PORTAL_FILE_DIR=folder)
    record = make_record(app, portal_of(app).spec.form("complaint"))
    photo = image_bytes("PNG")
    row = _store(app, record.id, photo, "证据.png", "image/png")
    yaml_file = cfg / "forms" / "complaint.yaml"
    text = yaml_file.read_text(encoding="utf-8")
    text = re.sub(r"  - key: photos\n(    .*\n)+", "", text).replace(
        "description, expectation, photos]", "description, expectation]")
    yaml_file.write_text(text, encoding="utf-8")
    stepped = make_app(cfg, setup=False, PORTAL_FILE_DIR=folder,
                       SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"])
    result = upgrade(stepped, allow_risky=True)
    assert "photos" in result.plan.text() and "retire" in result.plan.text()
    assert "photos" not in [f.key for f in portal_of(stepped).spec.form("complaint").fields]
    [kept] = file_rows(stepped, form="complaint", record_id=record.id)
    assert (kept.token, kept.field, kept.sha256) == (row.token, "photos", row.sha256)
    with stepped.app_context():
        with service.open_file(stepped.appbuilder.session, kept) as stream:
            assert stream.read() == photo
        value = stepped.appbuilder.session.execute(sa.text(
            "select photos from form_complaint where id = :i"), {"i": record.id}).scalar()
    assert value == "证据.png"  # the retired column keeps the names too
    client = stepped.test_client()
    login(client, "admin")
    assert client.get(f"/files/{row.token}").data == photo


def test_the_print_view_and_pdf_templates_show_the_images(files_app: Flask) -> None:
    from app.views.files import image_data_uris

    app = files_app
    record = make_record(app, portal_of(app).spec.form("complaint"))
    row = _store(app, record.id, image_bytes("PNG", size=(1200, 900)), "大图.png", "image/png")
    client = app.test_client()
    login(client, "admin")
    page = client.get(f"/complaintview/print/{record.id}").get_data(as_text=True)
    assert f'src="/files/{row.token}/thumb"' in page
    with app.test_request_context():
        [image] = image_data_uris("complaint", record.id, "photos")
    assert image["name"] == "大图.png" and image["src"].startswith("data:image/jpeg;base64,")
    data = base64.b64decode(image["src"].split(",", 1)[1])
    assert Image.open(io.BytesIO(data)).size == (600, 450)  # made small for paper


def test_a_photo_s_thumbnail_is_made_once_when_it_is_uploaded(files_app: Flask) -> None:
    app = files_app
    client = app.test_client()
    login(client, "staff")
    response = _add(app, client, "staff", [upload(image_bytes("JPEG", (1600, 1200)), "大.jpg")])
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    pk = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[-1])
    [row] = file_rows(app, form="complaint", record_id=pk)
    kept = _thumbnail(app, row.id)
    assert kept is not None and Image.open(io.BytesIO(kept)).size == (240, 180)
    with app.app_context():  # the storage loses the photo's bytes: its page still shows it
        session = app.appbuilder.session
        service.storage(row.storage, session).delete(row.key)
        session.commit()
    thumb = client.get(f"/files/{row.token}/thumb")
    assert (thumb.status_code, thumb.data, thumb.mimetype) == (200, kept, "image/jpeg")
    assert client.get(f"/files/{row.token}").status_code == 404  # the photo itself is gone
