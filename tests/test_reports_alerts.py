"""Quality alerts (质量预警): with frozen time, the third skin-reaction complaint for a batch
within seven days raises exactly one alert for that batch; a fourth raises none; records
outside the window, of another batch or another category do not count; the alert reaches
the 我的待办 of the rule's roles only, lists exactly the records it counted and is audited."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
import time_machine
from sqlalchemy import func, select

from app.audit.log import AuditEvent
from app.portal import portal_of
from app.reports.alerts import Alert
from tests.support.app import login
from tests.support.factories import make_record

T0 = dt.datetime(2026, 12, 1, 10, 0)


@pytest.fixture(scope="module")
def cosmetics(make_app: Any) -> Any:
    return make_app(industry="cosmetics")


def complaint(app: Any, at: dt.datetime, batch: str, category: str = "skin_reaction") -> Any:
    with time_machine.travel(at, tick=False):
        return make_record(app, portal_of(app).spec.form("complaint"), batch_no=batch,
                           category=category)


def alerts(app: Any, batch: str) -> list[Alert]:
    with app.app_context():
        return list(app.appbuilder.session.execute(select(Alert).where(
            Alert.rule == "skin_reaction_batch", Alert.group_key == batch)
            .order_by(Alert.id)).scalars())


def mywork(app: Any, user: str, at: dt.datetime) -> str:
    client = app.test_client()
    with time_machine.travel(at, tick=False):
        login(client, user)
        return client.get("/mywork/").get_data(as_text=True)


def test_the_third_in_a_week_raises_one_alert_and_the_fourth_none(cosmetics):
    app = cosmetics
    complaint(app, T0 - dt.timedelta(days=8), "B100")  # outside the window
    first = complaint(app, T0 - dt.timedelta(days=2), "B100")
    second = complaint(app, T0 - dt.timedelta(days=1), "B100")
    complaint(app, T0, "B200")  # another batch
    complaint(app, T0, "B100", category="quality")  # not a skin reaction
    assert alerts(app, "B100") == [] and alerts(app, "B200") == []
    third = complaint(app, T0, "B100")
    raised = alerts(app, "B100")
    assert [(a.count, a.window_start, a.window_end) for a in raised] == [
        (3, T0 - dt.timedelta(days=7), T0)]
    complaint(app, T0 + dt.timedelta(hours=1), "B100")  # the fourth
    assert len(alerts(app, "B100")) == 1
    with app.app_context():
        event = app.appbuilder.session.execute(select(AuditEvent).where(
            AuditEvent.action == "alert", AuditEvent.record_id == str(raised[0].id))
        ).scalars().one()
    assert json.loads(event.details) == {"count": 3, "group": "B100",
                                         "rule": "skin_reaction_batch"}
    assert event.form == "complaint" and event.username.startswith("cli:")  # a script's
    # the alert lists exactly the three it counted
    client = app.test_client()
    with time_machine.travel(T0 + dt.timedelta(hours=2), tick=False):
        login(client, "supervisor")
        page = client.get(f"/complaintview/list/?_alert={raised[0].id}").get_data(as_text=True)
    shown = {int(i) for i in re.findall(r'/complaintview/show/(\d+)"', page)}
    assert shown == {first.id, second.id, third.id}
    assert "同批号皮肤不良反应 · B100 · 2026-11-24 10:00 – 2026-12-01 10:00" in page


def test_the_alert_reaches_the_rules_roles_and_their_heirs_only(cosmetics):
    app = cosmetics
    for i in range(3):
        complaint(app, T0 + dt.timedelta(days=1, hours=i), "B300")
    later = T0 + dt.timedelta(days=1, hours=5)
    for user in ("supervisor", "manager", "admin"):
        page = mywork(app, user, later)
        assert 'id="mywork-alerts"' in page and "B300：3 件" in page, user
        assert "触发于 2026-12-02 12:00" in page, user
    for user in ("staff", "auditor", "warehouse"):
        page = mywork(app, user, later)
        assert 'id="mywork-alerts"' not in page and "B300" not in page, user
    alert = alerts(app, "B300")[0]
    client = app.test_client()
    with time_machine.travel(later, tick=False):
        login(client, "staff")
        page = client.get(f"/complaintview/list/?_alert={alert.id}").get_data(as_text=True)
    assert "预警链接无效：找不到该质量预警" in page
    assert not re.findall(r'/complaintview/show/(\d+)"', page)


def test_after_the_window_a_new_burst_raises_a_new_alert(cosmetics):
    app = cosmetics
    for i in range(3):
        complaint(app, T0 + dt.timedelta(days=2, hours=i), "B400")
    assert len(alerts(app, "B400")) == 1
    assert 'B400' not in mywork(app, "supervisor", T0 + dt.timedelta(days=10))  # expired
    for i in range(3):
        complaint(app, T0 + dt.timedelta(days=12, hours=i), "B400")
    assert [a.count for a in alerts(app, "B400")] == [3, 3]


def test_alerts_run_raises_the_backlog_rule_once(make_app):
    app = make_app()
    spec = portal_of(app).spec
    with app.app_context():
        handler = app.appbuilder.sm.find_user(username="staff").id
    with time_machine.travel(T0 - dt.timedelta(days=10), tick=False):
        for _ in range(6):
            make_record(app, spec.form("complaint"), handler=handler)
    runner = app.test_cli_runner()
    with time_machine.travel(T0, tick=False):
        first = runner.invoke(args=["portal", "alerts", "run"])
        again = runner.invoke(args=["portal", "alerts", "run"])
        listed = runner.invoke(args=["portal", "alerts", "list"])
    assert first.exit_code == 0, first.output
    assert first.output == f"overdue_backlog: {handler} (6)\n1 alert(s) raised by 2 rule(s)\n"
    assert again.output == "0 alert(s) raised by 2 rule(s)\n"
    assert listed.output == f"2026-12-01 10:00 overdue_backlog: {handler} (6)\n"
    with app.app_context():
        assert app.appbuilder.session.execute(select(func.count()).select_from(Alert)
                                              ).scalar_one() == 1


def test_revision_0007_creates_the_alert_table_the_model_declares(app):
    import sqlalchemy as sa
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    mine = sa.MetaData()
    Alert.__table__.to_metadata(mine)
    with app.app_context(), app.extensions["migrate"].db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={
            "compare_type": True,
            "include_name": lambda name, kind, _parent: kind != "table" or name in mine.tables})
        assert compare_metadata(context, mine) == []
