"""A record on paper (app/views/printing.py): the print view of any record (fields in the
page's language, masked as on the record page, row scope, show permission) and the PDF of a
pack's print template (the compensation's settlement agreement: its text in Chinese, the
download audited, an unknown template a 404)."""

from __future__ import annotations

import io
import shutil
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from app.portal import portal_of
from app.views.printing import upper_amount
from app.workflow.engine import actor_for, fire
from tests.support.app import CONFIG, login
from tests.support.factories import make_record
from tests.support.signatures import stored_signature

PHONE = "13900000001"
EVIL = '<img src="file:///etc/hostname">甲公司'
# A role that may list compensation without opening a record.
LISTER = """
  - key: lister
    label: {zh: 列表员, en: Lister}
    scope: all
    grants:
      compensation: [list]
"""


@pytest.fixture(scope="module")
def world(make_app: Callable[..., Flask], tmp_path_factory: pytest.TempPathFactory
          ) -> dict[str, Any]:
    config = tmp_path_factory.mktemp("print") / "config"
    shutil.copytree(CONFIG, config, ignore=shutil.ignore_patterns("industries"))
    roles = config / "roles.yaml"
    roles.write_text(roles.read_text(encoding="utf-8") + LISTER, encoding="utf-8")
    app = make_app(config)
    spec = portal_of(app).spec
    customer = make_record(app, spec.form("customer"), name="王小明", phone=PHONE,
                           company=EVIL)
    complaint = make_record(app, spec.form("complaint"), customer=customer.id,
                            description="面霜开封后有异味")
    compensation = make_record(app, spec.form("compensation"), complaint=complaint.id,
                               amount=Decimal("1234.50"), kind="refund",
                               reason="产品质量问题，全额退款", agreement_no="XY-2026-001")
    others = make_record(app, spec.form("compensation"), _owner="manager",
                         complaint=complaint.id, amount=Decimal("10"), kind="gift", reason="别人的")
    approved = make_record(app, spec.form("compensation"), complaint=complaint.id,
                           amount=Decimal("800"), kind="coupon", reason=EVIL)
    signed = make_record(app, spec.form("compensation"), complaint=complaint.id,
                         amount=Decimal("50"), kind="gift", reason="赠品补偿",
                         customer_signature=stored_signature(app, "compensation",
                                                             "customer_signature", "staff"),
                         handler_signature=stored_signature(app, "compensation",
                                                            "handler_signature", "manager", 400))
    for key, user in (("submit_to_manager", "staff"), ("manager_approve", "manager")):
        _fire(app, approved.id, key, user)
    with app.app_context():
        model = portal_of(app).models.models["complaint"]
        session = app.extensions["appbuilder"].session
        ticket = session.get(model, complaint.id).ticket_no
    return {"app": app, "customer": customer.id, "complaint": complaint.id,
            "ticket": ticket, "compensation": compensation.id,
            "others": others.id, "approved": approved.id, "signed": signed.id}


def _fire(app: Flask, record_id: int, key: str, username: str) -> None:
    """Fire a compensation's transition through the engine, as `username`."""
    spec = portal_of(app).spec
    with app.test_request_context():
        session = app.extensions["appbuilder"].session
        record = session.get(portal_of(app).models.models["compensation"], record_id)
        actor = actor_for(app.extensions["appbuilder"].sm.find_user(username=username), spec)
        fire(session, spec.form("compensation"), record, key, actor, version=record.version)


def _client(app: Flask, user: str) -> Any:
    client = app.test_client()
    login(client, user)
    return client


def test_upper_amount() -> None:
    assert upper_amount(Decimal("1234.50")) == "壹仟贰佰叁拾肆元伍角整"
    assert upper_amount(Decimal("100")) == "壹佰元整"
    assert upper_amount(Decimal("10005.07")) == "壹万零伍元零柒分"
    assert upper_amount(Decimal("0")) == "零元整"


def test_print_view_in_chinese_masked(world: dict[str, Any]) -> None:
    client = _client(world["app"], "admin")
    page = client.get(f"/customerview/print/{world['customer']}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "王小明" in text and "打印" in text and "客户" in text
    assert PHONE not in text  # masked, as on the record page
    record_page = client.get(f"/customerview/show/{world['customer']}").get_data(as_text=True)
    masked = PHONE[:3]
    assert masked in text and masked in record_page
    assert "print.js" in text and "<script>" not in text


def test_record_page_has_print_button(world: dict[str, Any]) -> None:
    client = _client(world["app"], "admin")
    text = client.get(f"/customerview/show/{world['customer']}").get_data(as_text=True)
    assert f"/customerview/print/{world['customer']}" in text


def test_print_view_of_compensation_with_state_and_pdf_link(world: dict[str, Any]) -> None:
    client = _client(world["app"], "admin")
    text = client.get(f"/compensationview/print/{world['compensation']}").get_data(
        as_text=True)
    assert "退款" in text and "草稿" in text and "处置协议" in text
    assert f"/compensationview/pdf/{world['compensation']}/agreement" in text


def test_out_of_scope_and_missing_is_404(world: dict[str, Any]) -> None:
    client = _client(world["app"], "admin")
    assert client.get("/customerview/print/999999").status_code == 404
    assert client.get("/compensationview/pdf/999999/agreement").status_code == 404


def test_outside_the_users_row_scope_is_404(world: dict[str, Any]) -> None:
    client = _client(world["app"], "staff")  # scope own: the manager's record is not theirs
    assert client.get(f"/compensationview/print/{world['compensation']}").status_code == 200
    assert client.get(f"/compensationview/print/{world['others']}").status_code == 404
    assert client.get(f"/compensationview/pdf/{world['others']}/agreement").status_code == 404


def test_without_show_permission_is_refused(world: dict[str, Any]) -> None:
    client = _client(world["app"], "lister")
    response = client.get(f"/compensationview/print/{world['compensation']}")
    assert response.status_code == 403
    response = client.get(f"/compensationview/pdf/{world['compensation']}/agreement")
    assert response.status_code == 403
    assert client.get("/compensationview/list/").status_code == 200


def test_unknown_template_is_a_404_with_its_name(world: dict[str, Any]) -> None:
    client = _client(world["app"], "admin")
    response = client.get(f"/compensationview/pdf/{world['compensation']}/nosuch")
    assert response.status_code == 404
    assert "nosuch" in response.get_data(as_text=True)


def test_agreement_pdf_text_in_chinese_and_audited(world: dict[str, Any]) -> None:
    pypdf = pytest.importorskip("pypdf")
    app = world["app"]
    client = _client(app, "admin")
    response = client.get(f"/compensationview/pdf/{world['compensation']}/agreement")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    reader = pypdf.PdfReader(io.BytesIO(response.data))
    text = "".join(page.extract_text() for page in reader.pages).replace(" ", "")
    for words in ("王小明", "1,234.50", "壹仟贰佰叁拾肆元伍角整", "退款", world["ticket"],
                  "XY-2026-001", "产品质量问题", "客户签名", "经办人签名", "面霜开封后有异味"):
        assert words in text, words
    assert PHONE not in text and "139****0001" in text  # masked as on the record page
    assert "¥¥" not in text
    with app.app_context():
        session = app.extensions["appbuilder"].session
        rows = session.execute(sa.text(
            "select action, form, record_id, details from portal_audit_event "
            "where action = 'print'")).all()
    assert any(r.form == "compensation" and str(r.record_id) == str(world["compensation"])
               and "agreement" in str(r.details) for r in rows)


def _pdf_text(client: Any, url: str) -> str:
    import pypdf

    response = client.get(url)
    assert response.status_code == 200
    reader = pypdf.PdfReader(io.BytesIO(response.data))
    return "".join(page.extract_text() for page in reader.pages).replace(" ", "")


def test_agreement_lists_the_approvals(world: dict[str, Any]) -> None:
    pytest.importorskip("pypdf")
    client = _client(world["app"], "admin")
    text = _pdf_text(client, f"/compensationview/pdf/{world['approved']}/agreement")
    assert "已批准" in text and "经理批准" in text and "manager" in text
    assert "优惠券" in text and "捌佰元整" in text
    page = client.get(f"/compensationview/print/{world['approved']}").get_data(as_text=True)
    assert "经理批准" in page and "portal-print-history" in page


def test_the_agreement_shows_both_signatures_with_who_and_when(world: dict[str, Any]) -> None:
    pypdf = pytest.importorskip("pypdf")
    client = _client(world["app"], "admin")
    response = client.get(f"/compensationview/pdf/{world['signed']}/agreement")
    reader = pypdf.PdfReader(io.BytesIO(response.data))
    text = "".join(page.extract_text() for page in reader.pages).replace(" ", "")
    for words in ("客户签名：日期2026-12-06", "经办人签名：日期2026-12-06", "赠品补偿",
                  "签名人stafftest·时间2026-12-0610:30:00",
                  "签名人managertest·时间2026-12-0610:30:00"):
        assert words in text, words
    assert len([i for page in reader.pages for i in page.images]) == 2
    unsigned = _pdf_text(client, f"/compensationview/pdf/{world['compensation']}/agreement")
    assert "客户签名：\u3000" in unsigned and "签名人" not in unsigned  # lines to sign on
    page = client.get(f"/compensationview/print/{world['signed']}").get_data(as_text=True)
    assert page.count('<figure class="portal-signature-shown">') == 2


def test_values_are_escaped_in_the_pdf(world: dict[str, Any]) -> None:
    """A print template runs sandboxed with every value escaped; nothing is fetched."""
    from app.views.printing import TEMPLATES

    assert TEMPLATES.from_string("{{ v }}").render(v=EVIL).startswith("&lt;img")
    client = _client(world["app"], "admin")
    page = client.get(f"/customerview/print/{world['customer']}").get_data(as_text=True)
    assert EVIL not in page and "&lt;img" in page
    pytest.importorskip("pypdf")
    text = _pdf_text(client, f"/compensationview/pdf/{world['approved']}/agreement")
    assert '<imgsrc="file:///etc/hostname">甲公司' in text  # the reason, as text
