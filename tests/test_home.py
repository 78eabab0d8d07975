"""Home page and menu: grouped by category, only what the role may open, in Chinese."""

from __future__ import annotations

from tests.support.app import login


def test_staff_menu_and_home_show_granted_forms_by_category(pack_apps) -> None:
    app = pack_apps[None]
    client = app.test_client()
    login(client, "staff")
    page = client.get("/").get_data(as_text=True)
    for text in ("售后服务门户", "客户管理", "售后服务", "质量与回访", "投诉登记", "补偿审批",
                 "满意度回访", "客户档案"):
        assert text in page
    assert "/complaintview/list/" in page
    assert "/users/list/" not in page  # staff cannot manage users


def test_menu_hides_forms_without_list_permission(make_app, tmp_path) -> None:
    import shutil

    from tests.support.app import CONFIG

    config = tmp_path / "config"
    shutil.copytree(CONFIG, config, ignore=shutil.ignore_patterns("industries"))
    roles = (config / "roles.yaml").read_text(encoding="utf-8")
    (config / "roles.yaml").write_text(roles.replace(
        "      compensation: [list, show, add, edit]\n", "", 1).replace(
        "    readonly:\n      compensation: [amount, kind]\n", "", 1), encoding="utf-8")
    app = make_app(config)
    client = app.test_client()
    login(client, "staff")
    page = client.get("/").get_data(as_text=True)
    assert "投诉登记" in page and "补偿审批" not in page
    assert "/compensationview/list/" not in page


def test_english_switch_relabels_menu(app) -> None:
    client = app.test_client()
    login(client, "staff")
    client.get("/lang/en")
    page = client.get("/").get_data(as_text=True)
    assert "Complaints" in page and "After-sales Service" in page
    assert "投诉登记" not in page


def test_menu_order_follows_yaml_and_security_comes_last(app) -> None:
    client = app.test_client()
    login(client, "admin")
    page = client.get("/").get_data(as_text=True)
    assert page.index("投诉登记") < page.index("补偿审批")  # order: 10 before order: 20
    menu = app.appbuilder.menu.get_list()
    assert [m.name for m in menu] == ["my_work", "Dashboards", "customers", "service",
                                      "quality", "Audit", "Security"]  # 我的待办, 看板 first
    assert [c.name for c in menu[5].childs] == ["audit_log", "audit_verify"]
    assert [c.name for c in menu[3].childs] == ["complaint", "compensation"]
    assert [c.name for c in menu[1].childs] == ["dashboard_after_sales"]


def test_the_home_page_shows_what_waits_for_the_user(make_app) -> None:
    """A fresh portal: the supervisor's home lists the compensation waiting for approval,
    with its title and a working 批准 button; the auditor, who approves nothing, is told."""
    from decimal import Decimal

    from app.portal import portal_of
    from tests.support.factories import make_record

    app = make_app()
    spec = portal_of(app).spec
    record = make_record(app, spec.form("compensation"), "staff", amount=Decimal("260"),
                         kind="gift")
    with app.app_context():
        app.appbuilder.session.get(portal_of(app).model("compensation"),
                                   record.id).state = "submitted"
        app.appbuilder.session.commit()
    client = app.test_client()
    login(client, "supervisor")
    page = client.get("/").get_data(as_text=True)
    home = page[page.index('id="home-waiting"'):]
    assert 'id="home-waiting-count">1<' in home
    assert 'data-section="approve"' in home and "赠品 260.00元 · TS-" in home
    assert f'href="/compensationview/transition/{record.id}/approve">主管批准</a>' in home
    auditor = app.test_client()
    login(auditor, "auditor")
    page = auditor.get("/").get_data(as_text=True)
    assert "目前没有等待您处理的事项。" in page


def test_the_home_page_shows_the_users_own_figures(make_app) -> None:
    import re

    from app.portal import portal_of
    from tests.support.factories import make_record

    app = make_app()
    complaint = portal_of(app).spec.form("complaint")
    make_record(app, complaint, _owner="staff")
    make_record(app, complaint, _owner="supervisor")
    counts = {}
    for user in ("staff", "manager"):
        client = app.test_client()
        login(client, user)
        page = client.get("/").get_data(as_text=True)
        assert 'id="home-dashboard"' in page and "售后服务看板" in page
        tile = re.search(r'id="home-tile-backlog".*?<span class="tile-figure">(\d+)</span>',
                         page, re.S)
        counts[user] = int(tile.group(1))
    assert counts == {"staff": 1, "manager": 2}  # staff: their own backlog only
    client = app.test_client()
    login(client, "auditor")
    assert 'id="home-dashboard"' not in client.get("/").get_data(as_text=True)
