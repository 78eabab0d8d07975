"""Signature fields on the screens and the API (app/views/signatures.py, the registry's
`signature` type): a drawing posted with the add form is stored once with who and when, a
refused one stores nothing and says why, the record page shows it, editing keeps or replaces
it, and its PNG is served only within the record's row scope."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from app.portal import portal_of
from tests.support.api import token
from tests.support.app import CONFIG, PASSWORD, csrf_token, login, user_id
from tests.support.factories import make_record, post_data, two_teams
from tests.support.signatures import signature_post

ADD = "/complaintview/add"
ROWS = "select id, form, field, record_id, sha256, signed_by_fk, signed_at, user_agent " \
       "from portal_signature order by id"


@pytest.fixture(scope="module")
def world(make_app: Callable[..., Flask]) -> dict[str, Any]:
    app = make_app()
    return {"app": app, "records": two_teams(app, PASSWORD)}


def _client(app: Flask, user: str) -> Any:
    client = app.test_client()
    login(client, user)
    return client


def _rows(app: Flask) -> list[Any]:
    with app.app_context():
        return list(app.appbuilder.session.execute(sa.text(ROWS)).all())


def _stored(app: Flask, record_id: int) -> int | None:
    with app.app_context():
        return app.appbuilder.session.execute(sa.text(
            "select recorder_signature_id from form_complaint where id = :id"),
            {"id": record_id}).scalar()


def _add(app: Flask, client: Any, signature: str) -> Any:
    data, _ = post_data(app, portal_of(app).spec.form("complaint"), user_id(app, "staff"))
    data.update(recorder_signature=signature, csrf_token=csrf_token(client, ADD))
    return client.post(ADD, data=data, headers={"User-Agent": "Mobile Safari"})


def _signed(world: dict[str, Any]) -> tuple[int, int]:
    """(record id, signature id) of a complaint staff added with a signature."""
    if "signed" not in world:
        app = world["app"]
        response = _add(app, _client(app, "staff"), signature_post())
        assert response.status_code == 302, response.get_data(as_text=True)
        record = int(response.headers["Location"].rsplit("/", 1)[1])
        world["signed"] = (record, _stored(app, record))
    return world["signed"]


def test_a_posted_drawing_is_stored_with_who_and_when(world: dict[str, Any]) -> None:
    app = world["app"]
    record, signature = _signed(world)
    row = next(r for r in _rows(app) if r.id == signature)
    assert (row.form, row.field, row.record_id) == ("complaint", "recorder_signature", record)
    assert row.signed_by_fk == user_id(app, "staff") and row.signed_at is not None
    assert len(row.sha256) == 64 and row.user_agent == "Mobile Safari"
    client = _client(app, "staff")
    client.get("/lang/zh")
    page = client.get(f"/complaintview/show/{record}").get_data(as_text=True)
    figure = re.search(r'<figure class="portal-signature-shown">.*?</figure>', page)
    assert figure and f'src="/signature/{signature}"' in figure.group(0)
    assert re.search(r"签名人 staff test · \d{4}-\d\d-\d\d \d\d:\d\d:\d\d", figure.group(0))
    image = client.get(f"/signature/{signature}")
    assert image.status_code == 200 and image.mimetype == "image/png"
    assert image.headers["X-Content-Type-Options"] == "nosniff"
    assert image.data.startswith(b"\x89PNG")


@pytest.mark.parametrize(("posted", "message"), [
    ("data:image/png;base64,iVBORw0KGgo=", "签名不是有效的图片，请在框内重新签名。"),
    ("data:image/gif;base64,R0lGODlh", "签名不是有效的图片，请在框内重新签名。"),
])
def test_a_refused_drawing_stores_nothing_and_says_why(world: dict[str, Any], posted: str,
                                                      message: str) -> None:
    app = world["app"]
    before = len(_rows(app))
    client = _client(app, "staff")
    client.get("/lang/zh")
    with app.app_context():
        count = app.appbuilder.session.execute(sa.text("select count(*) from form_complaint"))
        complaints = count.scalar()
    response = _add(app, client, posted)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert len(_rows(app)) == before
    with app.app_context():
        count = app.appbuilder.session.execute(sa.text("select count(*) from form_complaint"))
        assert count.scalar() == complaints


def test_editing_keeps_the_signature_unless_signed_again(world: dict[str, Any]) -> None:
    app = world["app"]
    record, first = _signed(world)
    client = _client(app, "staff")
    url = f"/complaintview/edit/{record}"
    form = client.get(url).get_data(as_text=True)
    assert "portal-signature-again" in form and f'src="/signature/{first}"' in form
    data = _edit_data(app, form)
    data["recorder_signature"] = ""
    assert client.post(url, data=data).status_code == 302
    assert _stored(app, record) == first
    data = _edit_data(app, client.get(url).get_data(as_text=True))
    data["recorder_signature"] = signature_post(width=300, height=100)
    assert client.post(url, data=data).status_code == 302
    second = _stored(app, record)
    assert second != first
    rows = {r.id: r for r in _rows(app)}
    assert rows[first].record_id == rows[second].record_id == record  # the old one is kept


def _edit_data(app: Flask, page: str) -> dict[str, str]:
    """The edit form's inputs as the browser would post them (selects: their chosen value)."""
    data = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page))
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', page,
                                 re.S):
        chosen = re.search(r'<option[^>]*selected[^>]*value="([^"]*)"|'
                           r'<option[^>]*value="([^"]*)"[^>]*selected', body)
        data[name] = next((g for g in chosen.groups() if g is not None), "") if chosen else ""
    for name, body in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', page,
                                 re.S):
        data[name] = body.strip()
    return data


def test_the_image_is_served_only_within_the_records_row_scope(world: dict[str, Any]) -> None:
    app = world["app"]
    record, signature = _signed(world)
    assert _client(app, "staff3").get(f"/signature/{signature}").status_code == 404
    assert _client(app, "supervisor").get(f"/signature/{signature}").status_code == 200
    assert _client(app, "staff").get("/signature/999999").status_code == 404
    anonymous = app.test_client().get(f"/signature/{signature}")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


def test_the_api_answers_who_when_and_the_image(world: dict[str, Any]) -> None:
    app = world["app"]
    record, _ = _signed(world)
    client = app.test_client()
    staff = {"Authorization": f"Bearer {token(app, 'staff')}"}
    answer = client.get(f"/api/v1/complaint/{record}", headers=staff).get_json()
    value = answer["result"]["recorder_signature"]
    assert value["signed_by"] == "staff test" and value["signed_at"]
    assert value["url"] == f"/api/v1/complaint/{record}/signature/recorder_signature"
    image = client.get(value["url"], headers=staff)
    assert image.status_code == 200 and image.mimetype == "image/png"
    assert image.headers["X-Content-Type-Options"] == "nosniff"
    other = {"Authorization": f"Bearer {token(app, 'staff3')}"}
    assert client.get(value["url"], headers=other).status_code == 404
    missing = client.get(f"/api/v1/complaint/{record}/signature/description", headers=staff)
    assert missing.status_code == 404
    unsigned = world["records"]["by_staff"]
    answer = client.get(f"/api/v1/complaint/{unsigned}", headers=staff).get_json()
    assert answer["result"]["recorder_signature"] is None


def test_a_transition_may_ask_for_a_signature(make_app: Callable[..., Flask],
                                              tmp_path: Path) -> None:
    """A pack whose 客户签署协议 requires the customer's signature: the dialog shows the
    canvas, refuses to fire without a drawing and stores it with the step."""
    config = tmp_path / "config"
    shutil.copytree(CONFIG, config, ignore=shutil.ignore_patterns("industries"))
    forms = config / "forms" / "compensation.yaml"
    forms.write_text(forms.read_text(encoding="utf-8").replace(
        "required_fields: [agreement_no]", "required_fields: [agreement_no, customer_signature]"),
        encoding="utf-8")
    app = make_app(config)
    form = portal_of(app).spec.form("compensation")
    staff = user_id(app, "staff")
    record = make_record(app, form, "staff", amount=Decimal("300"), kind="refund",
                         proposed_by=staff, agreement_no=None)
    with app.app_context():
        app.appbuilder.session.get(portal_of(app).model("compensation"), record.id).state = \
            "approved"
        app.appbuilder.session.commit()
    client = _client(app, "staff")
    client.get("/lang/zh")
    url = f"/compensationview/transition/{record.id}/sign"
    page = client.get(url).get_data(as_text=True)
    assert 'id="customer_signature-box"' in page and "portal-signature-canvas" in page
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page)
    data = {"csrf_token": csrf_token(client, "/compensationview/list/"),
            "version": version.group(1) if version else "1", "agreement_no": "AG-1"}
    refused = client.post(url, data={**data, "customer_signature": ""})
    assert refused.status_code == 400
    assert "执行“客户签署协议”前请填写：客户签名" in refused.get_data(as_text=True)
    assert _rows(app) == []
    fired = client.post(url, data={**data, "customer_signature": signature_post()})
    assert fired.status_code == 302
    [row] = _rows(app)
    assert (row.field, row.record_id, row.signed_by_fk) == ("customer_signature", record.id,
                                                            staff)
    with app.app_context():
        stored = app.appbuilder.session.get(portal_of(app).model("compensation"), record.id)
        assert (stored.state, stored.customer_signature_id) == ("customer_agreed", row.id)
