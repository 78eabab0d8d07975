"""The bundled front-end libraries (`make assets`, docs/third-party.md) are served by the
portal itself from its static folder, like /static/portal/portal.css: the ECharts build
package-lock.json pins, as JavaScript, with its licence, cacheable and revalidated by ETag
(static files are never marked no-store: app/security/headers.py)."""

from __future__ import annotations

import json
from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent
URL = "/static/vendor/echarts/echarts.min.js"
HINT = "run `make assets` (npm ci from package-lock.json, then the copy into app/static/vendor)"


def pinned_echarts() -> str:
    package = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))
    lock = json.loads((ROOT / "package-lock.json").read_text(encoding="utf-8"))
    version = str(package["dependencies"]["echarts"])
    assert lock["packages"]["node_modules/echarts"]["version"] == version
    assert lock["packages"]["node_modules/echarts"]["license"] == "Apache-2.0"
    return version


def test_echarts_is_served_as_javascript_with_revalidation(app: Flask) -> None:
    client = app.test_client()
    response = client.get(URL)
    assert response.status_code == 200, HINT
    assert response.mimetype in ("text/javascript", "application/javascript")
    assert "no-store" not in response.headers.get("Cache-Control", "")
    body = response.get_data(as_text=True)
    assert f'.version="{pinned_echarts()}"' in body, "a stale copy: " + HINT
    etag = response.headers["ETag"]
    response.close()
    again = client.get(URL, headers={"If-None-Match": etag})
    assert again.status_code == 304  # a browser keeps the 1 MB file and only asks
    again.close()


def test_echarts_licence_and_notice_are_served_next_to_it(app: Flask) -> None:
    client = app.test_client()
    for name, words in (("LICENSE", "Apache License"), ("NOTICE", "Apache ECharts"),
                        ("LICENSE-zrender", "BSD 3-Clause"), ("LICENSE-d3", "Mike Bostock")):
        response = client.get(f"/static/vendor/echarts/{name}")
        assert response.status_code == 200, f"{name}: {HINT}"
        assert words in response.get_data(as_text=True), name
        response.close()


def test_the_recorded_version_is_the_pinned_one() -> None:
    version = pinned_echarts()
    assert f"| {version} | Apache-2.0 |" in (
        ROOT / "docs" / "third-party.md").read_text(encoding="utf-8")
    assert f"ECharts {version} (Apache-2.0)" in (ROOT / "README.md").read_text(encoding="utf-8")
