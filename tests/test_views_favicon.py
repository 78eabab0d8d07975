"""The portal's icon: linked from every page, served from app/static, and /favicon.ico (which
browsers ask for whatever the page says) leads to it instead of a 404."""

from __future__ import annotations

from flask import Flask

from tests.support.app import login

LINK = '<link rel="icon" type="image/svg+xml" href="/static/portal/favicon.svg">'


def test_favicon_ico_leads_to_the_portals_icon(app: Flask) -> None:
    client = app.test_client()
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response.headers["Location"] == "/static/portal/favicon.svg"
    icon = client.get("/static/portal/favicon.svg")
    assert (icon.status_code, icon.mimetype) == (200, "image/svg+xml")
    assert icon.get_data(as_text=True).startswith('<svg xmlns="http://www.w3.org/2000/svg"')
    icon.close()


def test_every_page_links_the_icon(app: Flask) -> None:
    client = app.test_client()
    assert LINK in client.get("/login/").get_data(as_text=True)
    login(client, "staff")
    for url in ("/", "/complaintview/list/", "/no-such-page/"):
        assert LINK in client.get(url).get_data(as_text=True), url
