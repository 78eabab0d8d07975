"""The 售后服务看板 in Debian's Chromium with every request off this machine aborted: at
1440 and 390 px each chart of the real page is drawn (a painted canvas, or 暂无数据), nothing
is reported (CSP violations, console errors), nothing overflows a phone, and a click on a
slice opens the list of its records. Screenshots go to
$PORTAL_SCREENSHOTS (default tests/artifacts/screenshots)/dashboard."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.app import PASSWORD
from tests.support.browser import browser, chromium_path, offline_page, serving
from tests.support.dashboards import WEEK, make_board

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ.get("PORTAL_SCREENSHOTS") or
             Path(__file__).parent / "artifacts" / "screenshots") / "dashboard"
PAGE = f"/dashboard/after_sales/?period=week&at={WEEK[0].isoformat()}"
CHARTS = """() => [...document.querySelectorAll('.portal-chart')].map(el => {
  const canvas = el.querySelector('canvas');
  let painted = 0;
  if (canvas) {
    const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    for (let i = 3; i < pixels.length; i += 4) { if (pixels[i] > 0) { painted++; } }
  }
  return {key: el.dataset.widget, drawn: el.dataset.drawn || null,
          empty: el.dataset.empty || null, painted: painted,
          area: canvas ? canvas.width * canvas.height : 0};
})"""


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    if chromium_path() is None:
        pytest.fail("Chromium is missing: run `make browser-deps`")
    with browser() as launched:
        yield launched


@pytest.fixture(scope="module")
def site(make_app: Any) -> Iterator[str]:
    app, _ = make_board(make_app, SERVER_NAME=None)
    with serving(app) as base_url:
        yield base_url


def signed_in(chromium: Any, site: str, width: int) -> tuple[Any, dict]:
    from playwright.sync_api import expect

    page, found = offline_page(chromium, site, width=width)
    page.goto("/login/")
    page.fill("#username", "manager")
    page.fill("#password", PASSWORD)
    page.click("[type=submit]")
    response = page.goto(PAGE)
    assert response.status == 200
    expect(page.locator(".portal-chart:not([data-drawn])")).to_have_count(0)
    page.wait_for_timeout(400)  # the charts' 300 ms animations have ended
    return page, found


@pytest.mark.parametrize("width", [1440, 390])
def test_every_chart_of_the_dashboard_is_drawn_offline(chromium, site, width):
    page, found = signed_in(chromium, site, width)
    try:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"after_sales-{width}.png"), full_page=True)
        charts = page.evaluate(CHARTS)
        assert [c["key"] for c in charts] == [
            "by_day", "by_channel", "by_category", "by_severity", "by_team",
            "satisfaction_distribution",
            "compensation_by_kind", "compensation_by_level", "backlog_by_age",
            "backlog_by_handler"]
        for chart in charts:
            assert chart["drawn"] == "1" and chart["empty"] is None, chart
            assert chart["painted"] > 0.02 * chart["area"] > 0, chart
        assert page.locator(".portal-tile").count() == 11
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert found == {"blocked": [], "csp": [], "console": [], "errors": []}
    finally:
        page.context.close()


def test_a_click_on_a_slice_opens_its_records(chromium, site):
    page, found = signed_in(chromium, site, 1440)
    try:
        chart = page.locator('.portal-chart[data-widget="by_severity"]')
        chart.scroll_into_view_if_needed()
        box = chart.bounding_box()
        target = page.evaluate("""() => {
          const el = document.querySelector('.portal-chart[data-widget="by_severity"]');
          const series = echarts.getInstanceByDom(el).getModel().getSeries()
            .find(s => s.id === 'current');
          const bar = series.getData().getItemLayout(0);
          return [bar.x + bar.width / 2, bar.y + bar.height / 2];
        }""")
        page.mouse.click(box["x"] + target[0], box["y"] + target[1])
        page.wait_for_url("**/complaintview/list/**")
        banner = page.locator("#drill-text").inner_text()
        assert banner.startswith("售后服务看板 · 严重程度 · 2026-12-07 至 2026-12-13 · ")
        assert "_drill=after_sales.by_severity" in page.url
        assert found["csp"] == [] and found["errors"] == []
    finally:
        page.context.close()
