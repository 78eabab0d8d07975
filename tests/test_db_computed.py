"""Computed values on records (app/db/computed.py): worked out on every read, shown on the
record page and in lists, sent by the API, exported, ignored when sent back or imported."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask import Flask

from app.portal import portal_of
from tests.support.api import token
from tests.support.app import login
from tests.support.factories import make_record


def _resolved(app: Flask, **values: object):  # noqa: ANN202 - a generated class
    record = make_record(app, portal_of(app).spec.form("complaint"), "staff", **values)
    with app.app_context():
        row = app.appbuilder.session.get(portal_of(app).model("complaint"), record.id)
        row.created_on = dt.datetime(2026, 12, 1, 9, 0)
        row.sla_resolved_on = dt.datetime(2026, 12, 2, 11, 30)
        app.appbuilder.session.commit()
    return record


def test_the_record_knows_its_handling_hours(app: Flask) -> None:
    record = _resolved(app)
    with app.app_context():
        row = app.appbuilder.session.get(portal_of(app).model("complaint"), record.id)
        assert row.handling_hours == Decimal("26.5")
        row.sla_resolved_on = None  # not resolved yet: no value
        assert row.handling_hours is None
        app.appbuilder.session.rollback()


def test_the_record_page_and_the_api_show_it(app: Flask) -> None:
    record = _resolved(app)
    client = app.test_client()
    login(client, "staff")
    page = client.get(f"/complaintview/show/{record.id}").get_data(as_text=True)
    assert "处理时长（小时）" in page and "26.5" in page
    headers = {"Authorization": f"Bearer {token(app, 'staff')}"}
    answer = client.get(f"/api/v1/complaint/{record.id}", headers=headers).get_json()
    assert answer["result"]["handling_hours"] == "26.5"
    assert answer["label_columns"]["handling_hours"] == "处理时长（小时）"
    sent_back = client.put(f"/api/v1/complaint/{record.id}", headers=headers, json={
        "handling_hours": "1", "product_name": "改名霜"})
    assert sent_back.status_code == 200, sent_back.get_json()  # read-only: ignored
    assert sent_back.get_json()["result"]["handling_hours"] == "26.5"


def test_a_pack_lists_a_computed_value(pack_apps: dict) -> None:
    app = pack_apps["cosmetics"]
    form = portal_of(app).spec.form("complaint")
    old = make_record(app, form, "staff", product_name="过期面霜",
                      production_date=dt.date(2020, 1, 1),
                      occurred_at=dt.datetime(2026, 12, 1, 10))
    client = app.test_client()
    login(client, "staff")
    listing = client.get("/complaintview/list/?psize_ComplaintView=100").get_data(
        as_text=True)
    assert "保质期状态" in listing and "已过保质期" in listing
    page = client.get(f"/complaintview/show/{old.id}").get_data(as_text=True)
    assert "已过保质期" in page


def test_a_workflow_condition_may_read_a_computed_value(make_app, tmp_path) -> None:  # noqa: ANN001
    """A transition offered only once the complaint has been open for a day or more."""
    import shutil

    from tests.support.app import CONFIG
    from tests.support.workflow import RoleClient

    config = tmp_path / "config"
    shutil.copytree(CONFIG, config, ignore=shutil.ignore_patterns("industries"))
    path = config / "forms" / "complaint.yaml"
    text = path.read_text(encoding="utf-8").replace(
        '    value: "hours(created_on, sla_resolved_on)"\n',
        '    value: "hours(created_on, sla_resolved_on)"\n  - key: open_days\n'
        '    label: 已开启天数\n    value: "days(created_on, now)"\n', 1)
    text = text.replace("      required_fields: [handler]\n",
                        "      required_fields: [handler]\n      condition: open_days >= 1\n", 1)
    path.write_text(text, encoding="utf-8")
    app = make_app(config)
    from tests.support.app import PASSWORD, user_id

    fresh = make_record(app, portal_of(app).spec.form("complaint"), "staff")
    staff = RoleClient(app, "staff", PASSWORD)
    assert staff.fire("complaint", fresh.id, "accept",
                      handler=user_id(app, "staff")).status != 302  # open for minutes
    with app.app_context():
        row = app.appbuilder.session.get(portal_of(app).model("complaint"), fresh.id)
        row.created_on = dt.datetime.now() - dt.timedelta(days=2)
        app.appbuilder.session.commit()
    assert staff.fire("complaint", fresh.id, "accept",
                      handler=user_id(app, "staff")).status == 302


def test_a_computed_value_with_choices_reads_in_the_pages_language(app: Flask) -> None:
    record = make_record(app, portal_of(app).spec.form("compensation"), "staff",
                         amount=Decimal("800"))
    with app.app_context():
        row = app.appbuilder.session.get(portal_of(app).model("compensation"), record.id)
        assert row.approval_level == "manager"  # the formula's value, as the API sends it
    client = app.test_client()
    login(client, "manager")
    page = client.get(f"/compensationview/show/{record.id}").get_data(as_text=True)
    assert "经理审批" in page and ">manager<" not in page
    client.get("/lang/en")
    page = client.get(f"/compensationview/show/{record.id}").get_data(as_text=True)
    assert "Manager" in page and "经理审批" not in page
    exported = client.get("/compensationview/export/").get_data(as_text=True)
    row = next(line for line in exported.splitlines() if line.startswith(f"{record.id},"))
    assert row.endswith(",Manager") or ",Manager," in row
