"""The dashboard's chart script (app/static/portal/dashboard.js) with the bundled ECharts
(app/static/vendor/echarts/, `make assets`), in Debian's Chromium, before any dashboard page
exists: a test-only page in the portal's own layout, served by a real portal app (so with its
real Content-Security-Policy), holds one widget of each chart kind and an empty one. Every
request off this machine is aborted, so a CDN could not help. At 1440 and 390 px: each chart
is drawn on a canvas that is not blank and stays on the screen, the empty widget says
"暂无数据", nothing is reported (console errors, CSP violations), and a click on a bar opens
its link. Screenshots go to $PORTAL_SCREENSHOTS (default tests/artifacts/screenshots)/dashboard.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, current_app, render_template_string, request

from tests.support.browser import browser, chromium_path, offline_page, serving

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
ECHARTS = ROOT / "app" / "static" / "vendor" / "echarts" / "echarts.min.js"
SHOTS = Path(os.environ.get("PORTAL_SCREENSHOTS") or
             Path(__file__).parent / "artifacts" / "screenshots")
WIDTHS = (1440, 390)
PAGE = "/test-dashboard/"
CLICKED = "/test-dashboard/clicked"
CHANNELS = ["电话", "邮件", "在线客服", "微信公众号", "门店", "电商平台"]
PRODUCTS = ["空气净化器 AP-300 家用静音款", "除湿机 DH-20", "加湿器 H1", "净水器 RO-600G 厨下式",
            "电暖器 NSB-220", "扫地机器人 S8 Pro Ultra 旗舰版", "吸尘器 V10", "电风扇",
            "空调扇 L3", "滤芯 AP-300 替换装"]
WIDGETS: list[dict[str, Any]] = [
    {"key": "by_channel", "chart": "bar", "title": "各渠道投诉量", "unit": "件",
     "labels": CHANNELS, "values": [42, 17, 35, 8, None, 23],
     "previous": [38, 20, 30, 12, 3, 15], "previous_label": "上期", "current_label": "本期",
     "links": [f"{CLICKED}?channel={i}" for i in range(len(CHANNELS))]},
    {"key": "top_products", "chart": "hbar", "title": "投诉最多的产品", "unit": "件",
     "labels": PRODUCTS, "values": [31, 24, 19, 15, 12, 9, 7, 5, 3, 1],
     "previous": None, "links": None},
    {"key": "on_time", "chart": "line", "title": "按时解决率", "unit": "%",
     "labels": [f"11-{d:02d}" for d in range(7, 31)] + [f"12-{d:02d}" for d in range(1, 7)],
     "values": [80 + (d * 7) % 15 + 0.25 for d in range(24)] + [None, 91.5, 88, 93.35, 90, 95],
     "previous": [75 + (d * 5) % 12 for d in range(30)], "previous_label": "上月",
     "current_label": "本月", "links": None},
    {"key": "by_category", "chart": "pie", "title": "投诉类别", "unit": "件",
     "labels": ["产品质量", "物流配送", "服务态度", "价格争议", "其他", "安装"],
     "values": [46, 21, 13, 8, 5, 0], "previous": None, "links": None},
    {"key": "hours_by_handler", "chart": "bar", "title": "平均处理时长", "unit": "小时",
     "labels": ["王小明", "李娜", "张伟", "刘洋", "陈静", "杨帆", "赵磊", "黄敏"],
     "values": [5.26, 12.04, 3.5, 8, 20.75, 6.333, 9.1, 4.45], "previous": None,
     "links": None},
    {"key": "by_product", "chart": "bar", "title": "各产品投诉量（标签过长：斜排并截断）",
     "unit": "件", "labels": PRODUCTS, "values": [31, 24, 19, 15, 12, 9, 7, 5, 3, 1],
     "previous": None, "links": None},
    {"key": "refunds", "chart": "bar", "title": "退款金额", "unit": "元",
     "labels": ["一月", "二月", "三月"], "values": [0, None, 0], "previous": None,
     "links": None},
]
EMPTY = "refunds"
PAGE_TEMPLATE = """{% extends base_template %}
{% block content %}
<div class="col-md-12">
  <h2>仪表盘图表演示</h2>
  <div class="row">
    {% for widget in widgets %}
    <div class="col-md-6"><div class="panel panel-default">
      <div class="panel-heading"><h3 class="panel-title">{{ widget.title }}</h3></div>
      <div class="panel-body"><div class="portal-chart" data-widget="{{ widget.key }}"></div></div>
    </div></div>
    {% endfor %}
  </div>
</div>
<script type="application/json" id="dashboard-data">{{ data|tojson }}</script>
{% endblock %}
{% block tail_js %}
  {{ super() }}
  <script src="{{ url_for('static', filename='vendor/echarts/echarts.min.js') }}"
          nonce="{{ csp_nonce() }}"></script>
  <script src="{{ url_for('static', filename='portal/dashboard.js') }}"
          nonce="{{ csp_nonce() }}"></script>
{% endblock %}
"""
# Per chart: its canvas's size and how many of its pixels are painted, and whether it
# reaches past the right edge of the screen.
CANVASES = """() => [...document.querySelectorAll('.portal-chart')].map(el => {
  const canvas = el.querySelector('canvas');
  let painted = 0;
  if (canvas) {
    const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    for (let i = 3; i < pixels.length; i += 4) { if (pixels[i] > 0) { painted++; } }
  }
  return {key: el.dataset.widget, drawn: el.dataset.drawn || null,
          empty: el.dataset.empty || null, text: el.innerText.trim(),
          canvas: canvas ? [canvas.width, canvas.height] : null, painted: painted,
          outside: el.getBoundingClientRect().right > innerWidth + 1,
          canvasWidth: canvas ? canvas.getBoundingClientRect().width : 0,
          boxWidth: el.clientWidth};
})"""
# The middle of a bar of the chart's "current" series, in page coordinates.
BAR_CENTRE = """([key, index]) => {
  const el = document.querySelector(`.portal-chart[data-widget="${key}"]`);
  const chart = echarts.getInstanceByDom(el);
  const series = chart.getModel().getSeries().find(s => s.id === 'current');
  const bar = series.getData().getItemLayout(index);
  const box = el.getBoundingClientRect();
  return [box.left + bar.x + bar.width / 2, box.top + bar.y + bar.height / 2];
}"""

# How each bar chart lays out its category labels now (ECharts' merged option).
AXIS_LABELS = """() => Object.fromEntries(['by_channel', 'hours_by_handler', 'by_product']
  .map(key => {
  const el = document.querySelector(`.portal-chart[data-widget="${key}"]`);
  const option = echarts.getInstanceByDom(el).getOption();
  const label = option.xAxis[0].axisLabel;
  return [key, {rotate: label.rotate, width: label.width, overflow: label.overflow,
                formatter: typeof label.formatter, left: option.grid[0].left}];
}))"""


def dashboard_page() -> str:
    """The demo page, in the portal's layout like the dashboard will be."""
    builder = current_app.extensions["appbuilder"]
    lang = request.args.get("lang", "zh")
    return render_template_string(PAGE_TEMPLATE, appbuilder=builder,
                                  base_template=builder.base_template, widgets=WIDGETS,
                                  data={"lang": lang, "widgets": WIDGETS})


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    if chromium_path() is None:
        pytest.fail("Chromium is missing: run `make browser-deps`")
    with browser() as launched:
        yield launched


@pytest.fixture(scope="module")
def site(make_app: Callable[..., Flask]) -> Iterator[str]:
    assert ECHARTS.is_file(), f"{ECHARTS} is missing: run `make assets`"
    app = make_app(SERVER_NAME=None)
    app.add_url_rule(PAGE, "test_dashboard", dashboard_page)
    app.add_url_rule(CLICKED, "test_dashboard_clicked",
                     lambda: f"clicked {request.args.get('channel')}")
    with serving(app) as base_url:
        yield base_url


def shot(page: Any, name: str) -> None:
    folder = SHOTS / "dashboard"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def open_dashboard(chromium: Any, site: str, width: int, lang: str = "zh") -> tuple[Any, dict]:
    from playwright.sync_api import expect

    page, found = offline_page(chromium, site, width=width)
    response = page.goto(f"{PAGE}?lang={lang}")
    assert response.status == 200
    csp = response.headers["content-security-policy"]
    assert csp.startswith("default-src 'self'; script-src 'self' 'nonce-"), csp
    assert "unsafe-eval" not in csp and "unsafe-inline" not in csp.split(";")[1]
    # (not wait_for_function: its string predicate is an eval, which this CSP refuses)
    expect(page.locator(".portal-chart:not([data-drawn])")).to_have_count(0)
    page.wait_for_timeout(400)  # the 300 ms animations have ended
    return page, found


@pytest.mark.parametrize("width", WIDTHS)
def test_every_chart_kind_is_drawn_offline_under_the_csp(chromium: Any, site: str,
                                                         width: int) -> None:
    page, found = open_dashboard(chromium, site, width)
    try:
        shot(page, f"charts-{width}")
        charts = {chart["key"]: chart for chart in page.evaluate(CANVASES)}
        assert list(charts) == [widget["key"] for widget in WIDGETS]
        for key, chart in charts.items():
            assert chart["drawn"] == "1", chart
            assert not chart["outside"], chart
            if key == EMPTY:
                assert (chart["empty"], chart["text"], chart["canvas"]) == ("1", "暂无数据",
                                                                           None), chart
                continue
            width_px, height_px = chart["canvas"]
            assert width_px > 200 and height_px > 200, chart
            # Axes, bars, lines and labels paint far more than a stray pixel or two.
            assert chart["painted"] > 0.02 * width_px * height_px, chart
            assert abs(chart["canvasWidth"] - chart["boxWidth"]) <= 1, chart
        assert page.evaluate("document.documentElement.scrollWidth") <= width  # no sideways
        assert found == {"blocked": [], "csp": [], "console": [], "errors": []}
    finally:
        page.context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_a_click_on_a_bar_opens_its_link(chromium: Any, site: str, width: int) -> None:
    """(after its tooltip named the channel and both periods' values with the unit)"""
    from playwright.sync_api import expect

    page, found = open_dashboard(chromium, site, width)
    try:
        x, y = page.evaluate(BAR_CENTRE, ["by_channel", 2])
        page.mouse.move(x, y)
        tooltip = page.locator('[data-widget="by_channel"] .portal-chart-tooltip')
        expect(tooltip).to_be_visible()
        assert tooltip.inner_text().split() == ["在线客服", "本期", "35件", "上期", "30件"]
        page.mouse.click(x, y)
        page.wait_for_url(f"**{CLICKED}?channel=2")
        assert page.locator("body").inner_text().strip() == "clicked 2"
        assert found == {"blocked": [], "csp": [], "console": [], "errors": []}
    finally:
        page.context.close()


def test_charts_follow_the_window_and_speak_english(chromium: Any, site: str) -> None:
    page, found = open_dashboard(chromium, site, 1440, lang="en")
    try:
        empty = page.locator(f'.portal-chart[data-widget="{EMPTY}"]')
        assert empty.inner_text().strip() == "No data"
        wide = page.evaluate(AXIS_LABELS)
        page.set_viewport_size({"width": 390, "height": 900})
        page.wait_for_timeout(600)  # the 150 ms debounce, then a redraw
        for chart in page.evaluate(CANVASES):
            if chart["key"] != EMPTY:
                assert chart["boxWidth"] < 390 and abs(
                    chart["canvasWidth"] - chart["boxWidth"]) <= 1, chart
        narrow = page.evaluate(AXIS_LABELS)
        assert narrow["by_channel"]["formatter"] == "function"  # on two lines
        assert narrow["by_product"]["width"] < wide["by_product"]["width"]
        page.set_viewport_size({"width": 1440, "height": 900})
        page.wait_for_timeout(600)
        assert page.evaluate(AXIS_LABELS) == wide  # nothing of the phone's layout is left
        assert found == {"blocked": [], "csp": [], "console": [], "errors": []}
    finally:
        page.context.close()
