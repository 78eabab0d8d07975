"""Alembic for the portal's own tables, then the forms' schema plan: new databases, new forms
and fields, refusals, risky changes held back, idempotence, rollback."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.portal import portal_of
from app.schema.upgrade import upgrade
from app.security.permissions import sync_roles
from tests.support.app import CONFIG, login
from tests.support.factories import make_record


def _config(tmp_path: Path) -> Path:
    target = tmp_path / "config"
    shutil.copytree(CONFIG, target, ignore=shutil.ignore_patterns("industries"))
    return target


def _tables(app) -> set[str]:
    with app.app_context():
        return set(sa.inspect(app.appbuilder.session.get_bind()).get_table_names())


def test_new_database_gets_portal_tables_through_alembic_and_form_tables(make_app) -> None:
    app = make_app(setup=False)
    assert _tables(app) == set()
    result = upgrade(app)
    assert result.applied and result.revision.startswith("form_")
    assert result.plan.text().splitlines()[:2] == [
        "compensation (form_compensation)", "  + create table form_compensation (9 fields)"]
    tables = _tables(app)
    assert {"ab_user", "ab_role", "ab_permission_view_role", "alembic_version",
            "portal_schema_form", "portal_schema_field", "portal_schema_migration",
            "portal_team", "portal_team_member", "portal_session", "portal_audit_event",
            "portal_sequence", "portal_workday", "portal_workday_source",
            "portal_alert", "portal_outbox", "portal_job", "portal_job_file",
            "portal_job_problem", "portal_signature", "portal_file", "portal_file_chunk",
            "portal_notification", "portal_notification_pref"} <= tables
    assert {"form_customer", "form_complaint", "form_compensation",
            "form_satisfaction_survey"} <= tables
    with app.app_context():
        session = app.appbuilder.session
        heads = set(session.execute(sa.text("select version_num from alembic_version")
                                    ).scalars())
    # two heads: the portal's own chain, and the forms branch (which depends on 0002)
    assert heads == {result.revision, "0012"}
    revision = Path(app.config["PORTAL_REVISIONS_DIR"]) / f"{result.revision}.py"
    text = revision.read_text(encoding="utf-8")
    assert "  + create table form_complaint (19 fields)" in text  # the plan, for review
    assert "branch_labels = ('forms',)" in text and "depends_on = '0002'" in text
    with app.app_context():
        session = app.appbuilder.session
        logged = session.execute(sa.text("select revision, applied_by, plan from "
                                         "portal_schema_migration")).all()
    assert [(r.revision, r.applied_by) for r in logged] == [(result.revision, "flask portal")]
    assert "create table form_complaint (19 fields)" in logged[0].plan
    second = upgrade(app)
    assert not second.applied and second.reason == "nothing to do"
    assert second.plan.text() == "The database matches the configuration; nothing to do."


def test_a_new_form_and_new_fields_appear_after_restart(make_app, tmp_path: Path) -> None:
    config = _config(tmp_path)
    app = make_app(config)
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    make_record(app, portal_of(app).spec.form("customer"), name="老客户")
    (config / "forms" / "warranty.yaml").write_text(
        "key: warranty\nlabel: {zh: 保修登记, en: Warranty}\ncategory: service\nfields:\n"
        "  - {key: serial_no, label: {zh: 序列号, en: Serial number}, required: true}\n"
        "  - {key: customer, label: {zh: 客户, en: Customer}, type: reference, form: customer}\n",
        encoding="utf-8")
    customer = (config / "forms" / "customer.yaml").read_text(encoding="utf-8")
    (config / "forms" / "customer.yaml").write_text(customer + (
        "  - key: vip_level\n    label: {zh: 会员等级, en: VIP level}\n    type: integer\n"
        "  - key: wechat\n    label: 微信号\n    required: true\n    default: 未填写\n"),
        encoding="utf-8")
    app2 = make_app(config, setup=False, SQLALCHEMY_DATABASE_URI=url)
    result = upgrade(app2)
    assert result.applied, result.plan.text()
    assert result.plan.text() == "\n".join([
        "customer (form_customer, 1 rows)",
        "  + add field vip_level (column vip_level INTEGER)",
        "  + add field wechat (column wechat VARCHAR(200))",
        "warranty (form_warranty)",
        "  + create table form_warranty (2 fields)",
        "3 changes"])
    with app2.app_context():
        rows = app2.appbuilder.session.execute(
            sa.text("select name, vip_level, wechat from form_customer")).all()
    assert ("老客户", None, "未填写") in rows  # the old row got the declared default
    sync_roles(app2)
    client = app2.test_client()
    login(client, "admin")
    page = client.get("/warrantyview/list/").get_data(as_text=True)
    assert "保修登记" in page and "序列号" in page
    assert "会员等级" in client.get("/customerview/add").get_data(as_text=True)


def test_required_field_without_default_on_a_table_with_rows_is_refused(make_app,
                                                                        tmp_path: Path) -> None:
    config = _config(tmp_path)
    app = make_app(config)
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    make_record(app, portal_of(app).spec.form("customer"))
    customer = (config / "forms" / "customer.yaml").read_text(encoding="utf-8")
    (config / "forms" / "customer.yaml").write_text(
        customer + "  - {key: id_card, label: 身份证号, required: true}\n", encoding="utf-8")
    app2 = make_app(config, setup=False, SQLALCHEMY_DATABASE_URI=url)
    result = upgrade(app2)
    assert not result.applied and result.reason == "refused"
    assert result.plan.text() == "\n".join([
        "customer (form_customer, 1 rows)",
        "  ! REFUSED: add field id_card: it is required and has no default, but the table "
        "holds 1 rows; give it a default or make it optional first",
        "1 change, 1 refused: nothing will be applied until they are resolved"])
    with app2.app_context():
        columns = {c["name"] for c in sa.inspect(app2.appbuilder.session.get_bind())
                   .get_columns("form_customer")}
    assert "id_card" not in columns


@pytest.mark.parametrize(("pack", "risky"), [
    ("cosmetics", "  ~ make batch_no required (NOT NULL)  [risky]"),
    ("education", None),
])
def test_switching_a_pack_on_over_an_existing_database(make_app, pack, risky) -> None:
    base = make_app()
    url = base.config["SQLALCHEMY_DATABASE_URI"]
    old = make_record(base, portal_of(base).spec.form("complaint"))
    app = make_app(industry=pack, setup=False, SQLALCHEMY_DATABASE_URI=url)
    first = upgrade(app)
    if risky:  # held back until allowed, then applied
        assert first.reason == "risky" and risky in first.plan.text().splitlines()
        first = upgrade(app, allow_risky=True)
    assert first.applied, first.plan.text()
    assert upgrade(app).reason == "nothing to do"
    with app.app_context():
        model = portal_of(app).models.models["complaint"]
        row = app.appbuilder.session.get(model, old.id)
        assert row.product_name == old.product_name
        inspector = sa.inspect(app.appbuilder.session.get_bind())
        wanted = {f.column: f"form_{f.form}" if f.type == "reference" else "ab_user"
                  for f in portal_of(app).spec.form("complaint").fields
                  if f.type in ("reference", "user")}
        found = {fk["constrained_columns"][0]: fk["referred_table"]
                 for fk in inspector.get_foreign_keys("form_complaint")}
        assert {c: found.get(c) for c in wanted} == wanted  # new columns keep their FKs

    back = make_app(setup=False, SQLALCHEMY_DATABASE_URI=url)  # and back to the base pack
    result = upgrade(back, allow_risky=True)
    assert result.applied
    text = result.plan.text()
    assert "hidden from screens" in text and "kept" in text  # retired, never dropped
    with back.app_context():
        columns = {c["name"] for c in sa.inspect(back.appbuilder.session.get_bind())
                   .get_columns("form_complaint")}
    assert {f.column for f in portal_of(app).spec.form("complaint").fields
            } <= columns


def test_a_failing_schema_change_rolls_back_whole(make_app, tmp_path: Path,
                                                  monkeypatch) -> None:
    from alembic.operations import Operations

    config = _config(tmp_path)
    app = make_app(config)
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    (config / "forms" / "warranty.yaml").write_text(
        "key: warranty\nlabel: 保修登记\ncategory: service\nfields:\n"
        "  - {key: serial_no, label: 序列号, indexed: true}\n", encoding="utf-8")
    app2 = make_app(config, setup=False, SQLALCHEMY_DATABASE_URI=url)
    before = _tables(app2)
    calls = []
    real = Operations.invoke

    def failing(self, op):
        calls.append(op)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real(self, op)

    monkeypatch.setattr(Operations, "invoke", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        upgrade(app2)
    monkeypatch.undo()
    assert len(calls) == 2
    assert _tables(app2) == before  # the table created by the first operation is gone
    assert upgrade(app2).applied
    assert "form_warranty" in _tables(app2)


def test_start_up_refuses_a_database_that_does_not_match(make_app, tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from app.schema.drift import SchemaDrift, require_current_schema

    config = _config(tmp_path)
    app = make_app(config)
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    require_current_schema(app)  # migrated: serves
    replace_in = config / "forms" / "customer.yaml"
    replace_in.write_text(replace_in.read_text(encoding="utf-8") + (
        "  - key: wechat\n    label: 微信号\n"), encoding="utf-8")
    edited = make_app(config, setup=False, SQLALCHEMY_DATABASE_URI=url)
    with pytest.raises(SchemaDrift) as exc:
        require_current_schema(edited)
    assert exc.value.report() == "\n".join([
        "The database does not match the configuration; the portal will not serve until it "
        "does:",
        "customer (form_customer, 0 rows)",
        "  + add field wechat (column wechat VARCHAR(200))",
        "1 change",
        "Review with 'flask portal migrate --plan', then apply with 'flask portal migrate'."])
    root = Path(__file__).resolve().parent.parent
    run = subprocess.run([sys.executable, "-c", "import wsgi"], cwd=root, capture_output=True,
                         text=True, timeout=120,
                         env={**os.environ, "PORTAL_CONFIG_DIR": str(config),
                              "DATABASE_URL": url, "SECRET_KEY": "x" * 32})
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert "  + add field wechat (column wechat VARCHAR(200))" in run.stderr
    with pytest.raises(SchemaDrift):  # nothing was changed implicitly
        require_current_schema(edited)
    relabel = config / "forms" / "customer.yaml"  # wording alone never blocks serving
    upgrade(edited)
    relabel.write_text(relabel.read_text(encoding="utf-8").replace("微信号", "微信"),
                       encoding="utf-8")
    require_current_schema(make_app(config, setup=False, SQLALCHEMY_DATABASE_URI=url))


def test_start_up_refuses_a_database_behind_the_portals_own_revisions(make_app) -> None:
    from app.schema.drift import RevisionsPending, require_current_schema

    app = make_app()
    with app.app_context(), app.extensions["migrate"].db.engine.begin() as conn:
        # as before revision 0006 (PostgreSQL: with the form tables' foreign keys to it)
        cascade = " cascade" if conn.dialect.name == "postgresql" else ""
        conn.execute(sa.text("drop table portal_signature" + cascade))
        conn.execute(sa.text("drop table portal_file_chunk"))
        conn.execute(sa.text("drop table portal_file"))
        conn.execute(sa.text("drop table portal_notification_pref"))
        conn.execute(sa.text("drop table portal_notification"))
        conn.execute(sa.text("drop table portal_job_problem"))
        conn.execute(sa.text("drop table portal_job_file"))
        conn.execute(sa.text("drop table portal_job"))
        conn.execute(sa.text("drop table portal_outbox"))
        conn.execute(sa.text("drop table portal_alert"))
        conn.execute(sa.text("drop table portal_workday_source"))
        conn.execute(sa.text("drop table portal_workday"))
        conn.execute(sa.text("update alembic_version set version_num = '0005' "
                             "where version_num = '0012'"))
    with pytest.raises(RevisionsPending) as exc:
        require_current_schema(app)
    assert exc.value.report() == (
        "The database's portal tables are at revision 0005, this code needs 0012; the portal "
        "will not serve until they are.\nApply it with 'flask portal migrate'.")
    assert not upgrade(app).applied  # no schema plan; revisions 0006-0012, the calendar's rows
    require_current_schema(app)
    with app.app_context():
        days = app.appbuilder.session.execute(sa.text("select count(*) from portal_workday"))
        assert days.scalar() == 11323


def test_a_migration_through_the_cli_is_audited_with_its_plan(make_app, tmp_path: Path) -> None:
    import json

    config = _config(tmp_path)
    app = make_app(config)
    customer = (config / "forms" / "customer.yaml").read_text(encoding="utf-8")
    (config / "forms" / "customer.yaml").write_text(customer + (
        "  - key: vip_level\n    label: {zh: 会员等级, en: VIP level}\n    type: integer\n"),
        encoding="utf-8")
    app2 = make_app(config, setup=False, SQLALCHEMY_DATABASE_URI=app.config[
        "SQLALCHEMY_DATABASE_URI"], PORTAL_REVISIONS_DIR=app.config["PORTAL_REVISIONS_DIR"])
    result = app2.test_cli_runner().invoke(args=["portal", "migrate", "--yes"])
    assert result.exit_code == 0, result.output
    with app2.app_context():
        session = app2.appbuilder.session
        event = session.execute(sa.text(
            "select username, details from portal_audit_event where action = 'migration' "
            "order by seq desc")).first()
        revision = session.execute(sa.text(
            "select revision from portal_schema_migration order by id desc")).scalar()
    assert event.username.startswith("cli:")
    details = json.loads(event.details)
    assert details["revision"] == revision and details["applied_by"].endswith(
        " (flask portal)")
    assert details["plan"] == ("customer (form_customer, 0 rows)\n"
                               "  + add field vip_level (column vip_level INTEGER)\n1 change")


def test_the_production_entry_point_records_the_configuration_it_serves(make_app,
                                                                       tmp_path: Path) -> None:
    import hashlib
    import json
    import os
    import subprocess
    import sys

    from app.settings import ROOT

    app = make_app()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env.update(DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"], SECRET_KEY="s" * 40,
               PORTAL_REVISIONS_DIR=app.config["PORTAL_REVISIONS_DIR"])
    done = subprocess.run([sys.executable, "-c", "import wsgi"], cwd=ROOT, env=env, text=True,
                          capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr
    with app.app_context():
        event = app.appbuilder.session.execute(sa.text(
            "select username, details from portal_audit_event where action = 'config_loaded'"
        )).one()
    spec = portal_of(app).spec
    details = json.loads(event.details)
    assert details.pop("pid") != os.getpid()
    assert details == {"hash": hashlib.sha256(repr(spec).encode()).hexdigest(),
                       "fingerprint": spec.fingerprint, "industry": None, "forms": len(
                           spec.forms), "roles": len(spec.roles), "via": "wsgi"}
    assert event.username.startswith("cli:")
