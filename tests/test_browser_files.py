"""Photos in Chromium (app/views/files.py): a staffer attaches a photo on the edit screen
(the input asks for images, so a phone offers its camera), the record page shows its
thumbnail, which opens the full image; nothing overflows at 1440 or 390 px, no CSP report."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from app.portal import portal_of
from tests.support.app import PASSWORD
from tests.support.browser import browser, chromium_path, offline_page, serving
from tests.support.factories import make_record
from tests.support.files import image_bytes

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    if chromium_path() is None:
        pytest.fail("Chromium is missing: run `make browser-deps`")
    with browser() as launched:
        yield launched


@pytest.fixture(scope="module")
def site(make_app: Any, tmp_path_factory: Any) -> Iterator[tuple[str, Any]]:
    app = make_app(SERVER_NAME=None, PORTAL_FILE_DIR=str(tmp_path_factory.mktemp("files")))
    with serving(app) as base_url:
        yield base_url, app


@pytest.mark.parametrize("width", [1440, 390])
def test_a_photo_attached_on_edit_shows_as_a_thumbnail(chromium: Any, site: tuple[str, Any],
                                                        width: int, tmp_path: Any) -> None:
    base_url, app = site
    record = make_record(app, portal_of(app).spec.form("complaint"), _owner="staff")
    photo = tmp_path / "面霜照片.jpg"
    photo.write_bytes(image_bytes("JPEG", size=(800, 600)))
    page, found = offline_page(chromium, base_url, width=width)
    page.goto("/login/")
    page.fill("#username", "staff")
    page.fill("#password", PASSWORD)
    page.click("[type=submit]")
    page.goto(f"/complaintview/edit/{record.id}")
    assert page.get_attribute("#photos", "accept") == "image/*"
    # the limits and the field's help wrap inside the screen (Bootstrap keeps a responsive
    # table's cells on one line on a phone, which cut them off at 390 px)
    for selector in (".portal-upload-limits", ".portal-upload-limits + .help-block"):
        box = page.locator(selector).bounding_box()
        assert box is not None and box["x"] + box["width"] <= width, selector
    assert page.inner_text(".portal-upload-limits + .help-block") == (
        "产品、包装或问题部位的照片（手机可直接拍照）")
    page.set_input_files("#photos", str(photo))
    page.locator("#model_form button[type=submit]").click()
    page.goto(f"/complaintview/show/{record.id}")
    thumb = page.locator(".portal-file-image img")
    assert thumb.get_attribute("alt") == "面霜照片.jpg"
    thumb.scroll_into_view_if_needed()
    page.wait_for_function(
        "() => document.querySelector('.portal-file-image img').naturalWidth > 0")
    assert page.evaluate(
        "() => document.querySelector('.portal-file-image img').naturalWidth") == 240
    assert page.evaluate("() => document.documentElement.scrollWidth - innerWidth") <= 0
    assert found == {"blocked": [], "csp": [], "console": [], "errors": []}
