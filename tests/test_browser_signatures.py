"""Signatures drawn in Chromium (app/static/portal/signature.js) at a phone's width: the
customer's with the mouse, the handler's with a finger (touch events), saved with the edit
form, stored in portal_signature by the signed-in user, shown on the record page and printed
in the settlement agreement's PDF; no CSP violation or script error on the way."""

from __future__ import annotations

import io
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from app.portal import portal_of
from tests.support.app import PASSWORD, user_id
from tests.support.browser import browser, chromium_path, offline_page, serving
from tests.support.factories import make_record

pytestmark = pytest.mark.browser

PHONE = 375


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    if chromium_path() is None:
        pytest.fail("Chromium is missing: run `make browser-deps`")
    with browser() as launched:
        yield launched


@pytest.fixture(scope="module")
def site(make_app: Any) -> Iterator[tuple[Any, str, int]]:
    app = make_app(SERVER_NAME=None)
    spec = portal_of(app).spec
    complaint = make_record(app, spec.form("complaint"), description="面霜开封后有异味")
    record = make_record(app, spec.form("compensation"), complaint=complaint.id,
                         amount=Decimal("300"), kind="gift", reason="赠送同款面霜一瓶")
    with serving(app) as base_url:
        yield app, base_url, record.id


def _box(page: Any, field: str) -> dict[str, float]:
    canvas = page.locator(f"#{field}-box canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box is not None
    return box  # type: ignore[no-any-return]


def _draw_with_mouse(page: Any, field: str) -> None:
    box = _box(page, field)
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    page.mouse.move(x + 0.1 * w, y + 0.7 * h)
    page.mouse.down()
    for i in range(1, 21):
        page.mouse.move(x + (0.1 + 0.04 * i) * w, y + (0.7 - 0.4 * (i % 2)) * h, steps=2)
    page.mouse.up()


def _draw_with_a_finger(page: Any, field: str) -> None:
    box = _box(page, field)
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    cdp = page.context.new_cdp_session(page)
    points = [(x + (0.15 + 0.035 * i) * w, y + (0.3 + 0.3 * (i % 3) / 2) * h)
              for i in range(20)]
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [
        {"x": points[0][0], "y": points[0][1]}]})
    for px, py in points[1:]:
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [
            {"x": px, "y": py}]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def test_signatures_drawn_on_a_phone_are_stored_shown_and_printed(
        chromium: Any, site: tuple[Any, str, int]) -> None:
    app, base_url, pk = site
    page, found = offline_page(chromium, base_url, width=PHONE)
    page.goto("/login/")
    page.fill("#username", "staff")
    page.fill("#password", PASSWORD)
    page.click("[type=submit]")
    page.goto(f"/compensationview/edit/{pk}")
    assert _box(page, "customer_signature")["width"] <= PHONE
    assert page.evaluate(  # as many pixels as the screen has under it
        "() => { const c = document.querySelector('#customer_signature-box canvas');"
        " return c.width === Math.round(c.clientWidth * devicePixelRatio) && c.width > 0; }")
    assert page.evaluate("() => document.documentElement.scrollWidth - innerWidth") <= 0
    _draw_with_mouse(page, "customer_signature")
    _draw_with_a_finger(page, "handler_signature")
    for field in ("customer_signature", "handler_signature"):
        value = page.input_value(f"#{field}")
        assert value.startswith("data:image/png;base64,"), field
    page.locator("#model_form button[type=submit]").click()
    page.wait_for_url(lambda url: "/edit/" not in url)
    page.goto(f"/compensationview/show/{pk}")

    with app.app_context():
        rows = app.appbuilder.session.execute(sa.text(
            "select field, record_id, signed_by_fk, signed_at, width from portal_signature "
            "order by field")).all()
    assert [(r.field, r.record_id, r.signed_by_fk) for r in rows] == [
        ("customer_signature", pk, user_id(app, "staff")),
        ("handler_signature", pk, user_id(app, "staff"))]
    assert all(r.signed_at is not None and r.width > 0 for r in rows)

    figures = page.locator("figure.portal-signature-shown")
    assert figures.count() == 2
    assert "签名人" in figures.first.inner_text()
    page.wait_for_function("() => [...document.querySelectorAll('figure img')]"
                           ".every(i => i.complete && i.naturalWidth > 0)")
    page.goto(f"/compensationview/print/{pk}")
    page.wait_for_function("() => document.querySelectorAll('figure img').length === 2 && "
                           "[...document.querySelectorAll('figure img')]"
                           ".every(i => i.complete && i.naturalWidth > 0)")
    pdf = page.request.get(f"{base_url}/compensationview/pdf/{pk}/agreement")
    assert pdf.status == 200
    pypdf = pytest.importorskip("pypdf")
    reader = pypdf.PdfReader(io.BytesIO(pdf.body()))
    text = "".join(p.extract_text() for p in reader.pages).replace(" ", "")
    assert "客户签名：日期" in text and "经办人签名：日期" in text and "签名人stafftest" in text
    assert len([i for p in reader.pages for i in p.images]) == 2
    assert found == {"blocked": [], "csp": [], "console": [], "errors": []}
