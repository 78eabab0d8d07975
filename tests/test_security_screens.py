"""FAB's user, role and permission screens in words (app/security/screens.py): roles by
label with their grants per screen, 是/否, permission and screen names in Chinese."""

from __future__ import annotations

import re

from flask import Flask

from app.security.screens import permission_name, role_label, screen_name
from tests.support.app import login
from tests.support.crawl import visible_text

RAW = re.compile(r"can \w+ on \w+|\b\w+(?:Model)?View\b|menu access on|\bTrue\b|\bFalse\b")
PAGES = ("/users/list/", "/users/show/1", "/users/add", "/users/edit/1", "/roles/list/",
         "/roles/show/2", "/roles/edit/2", "/roles/add", "/permissions/list/",
         "/viewmenus/list/", "/permissionviews/list/", "/groups/list/")


def test_every_security_screen_speaks_chinese(app: Flask) -> None:
    client = app.test_client()
    login(client, "admin")
    for url in PAGES:
        response = client.get(url)
        assert response.status_code == 200, url
        text = visible_text(response.get_data(as_text=True))
        assert not RAW.findall(text), (url, sorted(set(RAW.findall(text)))[:10])
        assert "The user group on the application" not in text, url


def test_roles_show_their_label_and_grants_per_screen(app: Flask) -> None:
    client = app.test_client()
    login(client, "admin")
    page = visible_text(client.get("/roles/list/").get_data(as_text=True))
    assert "客服专员 (staff)" in page and "审计员 (auditor)" in page
    assert "投诉登记：列表、删除、导入、导出、新增、查看、编辑、菜单" in page  # the admin's
    assert "我的待办：列表、菜单" in page
    edit = client.get("/roles/edit/2").get_data(as_text=True)
    assert re.search(r"<option[^>]*>投诉登记：新增</option>", edit)


def test_users_show_yes_and_no_and_their_roles_by_label(app: Flask) -> None:
    client = app.test_client()
    login(client, "admin")
    page = visible_text(client.get("/users/list/").get_data(as_text=True))
    assert "是" in page and "True" not in page
    assert "客服专员 (staff)" in visible_text(client.get("/users/show/2").get_data(
        as_text=True)) or "系统管理员 (admin)" in page


def test_names_fall_back_to_what_is_stored(app: Flask) -> None:
    with app.test_request_context():
        assert screen_name("ComplaintView") == "投诉登记"
        assert screen_name("customers") == "客户管理"  # a menu category
        assert screen_name("SomethingNew") == "SomethingNew"
        assert permission_name("can_add") == "新增"
        assert permission_name("can_fly") == "can_fly"
        assert role_label("staff") == "客服专员 (staff)"
        assert role_label("nobody") == "nobody"
