"""roles.yaml → FAB permissions: exact, idempotent, and enforced over HTTP for every role,
form and action of every pack."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from flask import Flask

from app.config.keys import ACTIONS
from app.portal import portal_of
from app.security.permissions import AUDIT_PAIRS, SELF_SERVICE, sync_roles
from tests.support.app import CONFIG, PACKS, csrf_token, login
from tests.support.factories import make_record


def _role_perms(app: Flask, role: str) -> set[tuple[str, str]]:
    with app.app_context():
        found = app.appbuilder.sm.find_role(role)
        return {(pv.permission.name, pv.view_menu.name) for pv in found.permissions}


def _check(app: Flask, client, form, action: str, allowed: bool) -> None:
    view = f"/{form.view_name.lower()}"
    record = make_record(app, form)
    model = portal_of(app).models.models[form.key]
    if action == "delete":
        token = _token(client)
        response = client.post(f"{view}/delete/{record.id}", data={"csrf_token": token})
        with app.app_context():
            gone = app.appbuilder.session.get(model, record.id) is None
        assert gone == allowed, f"delete {'refused' if allowed else 'allowed'}"
        if not allowed:
            assert response.status_code == 403
        return
    url = {"list": f"{view}/list/", "show": f"{view}/show/{record.id}",
           "add": f"{view}/add", "edit": f"{view}/edit/{record.id}",
           "export": f"{view}/export/", "import": f"{view}/import/"}[action]
    response = client.get(url)
    if allowed:
        assert response.status_code == 200, f"{action} on {form.key}: {response.status_code}"
        if action == "export":
            assert response.mimetype == "text/csv"
        elif action == "import":
            assert 'id="import-form"' in response.get_data(as_text=True)
        else:
            assert form.label.zh in response.get_data(as_text=True)
    else:
        assert response.status_code == 403, f"{action} on {form.key}: {response.status_code}"


def _token(client) -> str:
    return csrf_token(client, "/resetmypassword/form")


def _matrix() -> list:
    from app.config.load import load_spec

    cases = []
    for pack in PACKS:
        spec = load_spec(str(CONFIG), pack)
        for role in spec.roles:
            cases.append(pytest.param(pack, role.key, id=f"{pack or 'base'}-{role.key}"))
    return cases


@pytest.mark.parametrize(("pack", "role_key"), _matrix())
def test_every_form_and_action_is_allowed_exactly_as_declared(pack_apps: dict, pack,
                                                              role_key: str) -> None:
    app = pack_apps[pack]
    spec = portal_of(app).spec
    role = next(r for r in spec.roles if r.key == role_key)
    client = app.test_client()
    login(client, role_key)
    for form in spec.forms:
        granted = set(ACTIONS) if role.admin else role.grants.get(form.key, ())
        for action in ACTIONS:
            _check(app, client, form, action, action in granted)


def test_anonymous_users_are_sent_to_login(app: Flask) -> None:
    response = app.test_client().get("/complaintview/list/")
    assert response.status_code == 302
    assert "/login/" in response.headers["Location"]


def test_role_permissions_match_yaml_exactly(app: Flask) -> None:
    spec = portal_of(app).spec
    staff = _role_perms(app, "staff")
    expected = set(SELF_SERVICE) | {
        ("can_list", "ComplaintView"), ("can_show", "ComplaintView"),
        ("can_add", "ComplaintView"), ("can_edit", "ComplaintView"),
        ("can_import", "ComplaintView"),
        ("can_list", "CustomerView"), ("can_show", "CustomerView"),
        ("can_add", "CustomerView"), ("can_edit", "CustomerView"),
        ("can_import", "CustomerView"),
        ("can_list", "SatisfactionSurveyView"), ("can_show", "SatisfactionSurveyView"),
        ("can_add", "SatisfactionSurveyView"), ("can_edit", "SatisfactionSurveyView"),
        ("can_list", "CompensationView"), ("can_show", "CompensationView"),
        ("can_add", "CompensationView"), ("can_edit", "CompensationView"),
        ("menu_access", "complaint"), ("menu_access", "customer"),
        ("menu_access", "satisfaction_survey"), ("menu_access", "compensation"),
        ("menu_access", "service"), ("menu_access", "customers"), ("menu_access", "quality"),
        # the 售后服务看板 names staff (config/dashboards/after_sales.yaml): page and report
        ("can_show", "DashboardView"), ("can_show", "ReportView"),
        ("menu_access", "Dashboards"), ("menu_access", "dashboard_after_sales"),
    }
    assert staff == expected
    auditor = _role_perms(app, "auditor")  # not named, inherits nothing named: no dashboard
    assert not {p for p in auditor if "Dashboard" in p[1] or "Report" in p[1]}
    assert _role_perms(app, "public") == set()
    admin = _role_perms(app, "admin")
    assert ("can_list", "UserDBModelView") in admin
    assert {("can_delete", f.view_name) for f in spec.forms} <= admin


def _copy_config(tmp_path: Path) -> Path:
    import shutil

    target = tmp_path / "config"
    shutil.copytree(CONFIG, target, ignore=shutil.ignore_patterns("industries"))
    return target


def test_sync_is_idempotent_and_removes_what_yaml_no_longer_grants(make_app, tmp_path) -> None:
    config = _copy_config(tmp_path)
    app = make_app(config)
    assert sync_roles(app).changes == []

    roles = yaml.safe_load((config / "roles.yaml").read_text(encoding="utf-8"))
    staff = next(r for r in roles["roles"] if r["key"] == "staff")
    staff["grants"]["complaint"] = ["list", "show"]
    (config / "roles.yaml").write_text(yaml.safe_dump(roles, allow_unicode=True),
                                       encoding="utf-8")
    app2 = make_app(config, setup=False,
                    SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"])
    report = sync_roles(app2)
    assert report.changes == ["role staff: - can_add on ComplaintView",
                              "role staff: - can_edit on ComplaintView",
                              "role staff: - can_import on ComplaintView"]
    assert sync_roles(app2).changes == []
    client = app2.test_client()
    login(client, "staff")
    assert client.get("/complaintview/add").status_code == 403
    assert client.get("/complaintview/list/").status_code == 200


def test_permissions_granted_by_hand_are_removed_and_regex_lookalikes_not_granted(
        make_app, tmp_path) -> None:
    app = make_app(_copy_config(tmp_path))
    with app.app_context():
        sm = app.appbuilder.sm
        pv = sm.find_permission_view_menu("can_delete", "CustomerView")
        sm.add_permission_role(sm.find_role("staff"), pv)
        sm.add_role("staff_trainee")  # a role the YAML does not know
    report = sync_roles(app)
    assert report.changes == ["role staff: - can_delete on CustomerView"]
    assert report.untouched_roles == ["staff_trainee"]
    assert _role_perms(app, "staff_trainee") == set()


def test_audit_roles_and_admins_get_the_audit_screens_and_menu(pack_apps: dict) -> None:
    for pack, app in pack_apps.items():
        assert set(AUDIT_PAIRS) <= _role_perms(app, "auditor"), pack
        assert set(AUDIT_PAIRS) <= _role_perms(app, "admin"), pack
        for role in portal_of(app).spec.roles:
            if not role.audit:
                assert not set(AUDIT_PAIRS) & _role_perms(app, role.key), (pack, role.key)


def test_sync_follows_the_audit_flag(make_app, tmp_path) -> None:
    config = _copy_config(tmp_path)
    app = make_app(config)
    roles = yaml.safe_load((config / "roles.yaml").read_text(encoding="utf-8"))
    for role in roles["roles"]:
        if role["key"] in ("auditor", "staff"):
            role["audit"] = role["key"] == "staff"
    (config / "roles.yaml").write_text(yaml.safe_dump(roles, allow_unicode=True),
                                       encoding="utf-8")
    app2 = make_app(config, setup=False,
                    SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"])
    assert set(sync_roles(app2).changes) == (
        {f"role auditor: - {perm} on {view}" for perm, view in AUDIT_PAIRS}
        | {f"role staff: + {perm} on {view}" for perm, view in AUDIT_PAIRS})
    assert sync_roles(app2).changes == []
    auditor, staff = app2.test_client(), app2.test_client()
    login(auditor, "auditor")
    login(staff, "staff")
    assert auditor.get("/audit/list/").status_code == 403
    assert staff.get("/audit/list/").status_code == 200


def test_a_first_start_audits_the_role_sync_as_one_event(make_app) -> None:
    """276 of 342 events after a first start were permission rows, one each."""
    import sqlalchemy as sa

    app = make_app()
    with app.app_context():
        rows = app.appbuilder.session.execute(sa.text(
            "select action, form from portal_audit_event")).all()
    syncs = [r for r in rows if r.action == "role_sync"]
    assert len(syncs) == 1
    assert not [r for r in rows if r.form in ("ab_permission_view_role", "ab_role",
                                              "ab_permission_view", "ab_view_menu",
                                              "ab_permission")]
    assert len(rows) < 20, sorted({(r.action, r.form) for r in rows})
