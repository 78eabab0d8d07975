"""A record's files through the form API (app/views/api/files.py): listed by field with
their download addresses, downloaded as from the screens (audited, nosniff), within the row
scope only; a record's body carries the names and a body sent back ignores them."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask

from app.files import service
from app.portal import portal_of
from tests.support.api import call
from tests.support.factories import make_record
from tests.support.files import image_bytes, pdf_bytes


def _attach(app: Flask, record_id: int, field: str, name: str, data: bytes,
            content_type: str) -> Any:
    with app.app_context():
        session = app.appbuilder.session
        row = service.store(session, form="complaint", field=field, record_id=record_id,
                            name=name, data=data, content_type=content_type, user_id=None)
        session.execute(sa.text(f"update form_complaint set {field} = :n where id = :i"),
                        {"n": name, "i": record_id})
        session.commit()
        session.refresh(row)
        session.expunge(row)
        return row


def test_files_are_listed_and_downloaded_within_the_row_scope(make_app: Any,
                                                              tmp_path: Any) -> None:
    app = make_app(industry="cosmetics", PORTAL_FILE_DIR=str(tmp_path))
    record = make_record(app, portal_of(app).spec.form("complaint"), _owner="staff")
    photo = _attach(app, record.id, "photos", "皮肤.png", image_bytes("PNG"), "image/png")
    proof = _attach(app, record.id, "medical_documents", "病历.pdf", pdf_bytes(),
                    "application/pdf")
    url = f"/api/v1/complaint/{record.id}/files"
    listing = call(app, "GET", url, "staff")
    assert listing.status_code == 200
    result = listing.get_json()["result"]
    assert sorted(result) == ["medical_documents", "photos"]
    [listed] = result["photos"]
    assert {k: listed[k] for k in ("name", "content_type", "size", "sha256")} == {
        "name": "皮肤.png", "content_type": "image/png", "size": photo.size,
        "sha256": photo.sha256}
    assert listed["url"] == f"http://portal.test{url}/{photo.token}"
    assert [f["name"] for f in result["medical_documents"]] == ["病历.pdf"]

    got = call(app, "GET", f"{url}/{proof.token}", "staff")
    assert got.status_code == 200 and got.data == pdf_bytes()
    assert got.mimetype == "application/pdf"
    assert got.headers["Content-Disposition"].startswith("attachment;")
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    with app.app_context():
        assert app.appbuilder.session.scalar(sa.text(
            "select count(*) from portal_audit_event where action = 'download' "
            "and record_id = :r"), {"r": str(record.id)}) == 1
    # another record's token under this record: no such file here
    assert call(app, "GET", f"{url}/not-its-token", "staff").get_json() == {
        "message": "文件不存在。"}

    record_body = call(app, "GET", f"/api/v1/complaint/{record.id}", "staff").get_json()
    assert record_body["result"]["photos"] == ["皮肤.png"]
    assert call(app, "GET", url, None).status_code == 401


def test_another_teams_user_gets_404(make_app: Any, tmp_path: Any) -> None:
    from tests.support.app import PASSWORD
    from tests.support.factories import two_teams

    app = make_app(PORTAL_FILE_DIR=str(tmp_path))
    records = two_teams(app, PASSWORD)
    row = _attach(app, records["by_staff"], "photos", "a.png", image_bytes("PNG"),
                  "image/png")
    url = f"/api/v1/complaint/{records['by_staff']}/files"
    assert call(app, "GET", url, "staff").status_code == 200
    assert call(app, "GET", url, "staff3").status_code == 404
    assert call(app, "GET", f"{url}/{row.token}", "staff3").status_code == 404
    assert call(app, "GET", f"{url}/{row.token}", "supervisor").status_code == 200
