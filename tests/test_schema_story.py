"""A scripted story of 12 successive YAML edits on a database holding a few thousand records:
after each step every previously stored value is still there with the same meaning, and the
plan text of each step is pinned. Runs on SQLite and (PORTAL_TEST_DATABASE_URL) PostgreSQL."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

from app.portal import portal_of
from app.schema.upgrade import upgrade
from tests.support.app import CONFIG
from tests.support.factories import bulk_records, drop_form_from_dashboards, drop_form_from_roles
from tests.support.schema import append, live_rows, replace

STORY: list[tuple[str, Callable[[Path], None], str]] = []
PLANS: dict[str, str] = {}  # step name → exact plan text (filled in below)


def step(name: str, plan: str) -> Callable:
    def register(edit: Callable[[Path], None]) -> Callable[[Path], None]:
        STORY.append((name, edit, plan))
        return edit
    return register


@step("add field", (
    "customer (form_customer, 800 rows)\n"
    "  + add field vip_level (column vip_level VARCHAR(10))\n"
    "1 change"))
def _(cfg: Path) -> None:
    append(cfg / "forms/customer.yaml",
           "  - key: vip_level\n    label: {zh: 会员等级, en: VIP level}\n    max_length: 10\n")


@step("add required field with default", (
    "customer (form_customer, 800 rows)\n"
    "  + add field source (column source VARCHAR(200))\n"
    "1 change"))
def _(cfg: Path) -> None:
    append(cfg / "forms/customer.yaml",
           "  - key: source\n    label: 客户来源\n    required: true\n    default: 电话\n")


@step("rename", (
    "customer (form_customer, 800 rows)\n"
    "  ~ rename field phone → mobile (column phone → mobile), 800 values kept  [risky]\n"
    "1 change"))
def _(cfg: Path) -> None:
    replace(cfg / "forms/customer.yaml", "  - key: phone\n",
            "  - key: mobile\n    renamed_from: phone\n")
    replace(cfg / "roles.yaml", "customer.phone", "customer.mobile")


@step("retire field", (
    "customer (form_customer, 800 rows)\n"
    "  - retire field notes: column notes and its values kept, hidden from screens\n"
    "1 change"))
def _(cfg: Path) -> None:
    replace(cfg / "forms/customer.yaml",
            '  - key: notes\n    label: {zh: 备注（偏好、购买记录）, en: "Notes (preferences, '
            'purchases)"}\n    type: text\n', "")


@step("bring field back", (
    "customer (form_customer, 800 rows)\n"
    "  ~ bring back field notes: column notes kept its values\n"
    "  = notes: label changed (no database change)\n"
    "2 changes"))
def _(cfg: Path) -> None:
    append(cfg / "forms/customer.yaml", "  - key: notes\n    label: 备注\n    type: text\n")


@step("widen", (
    "complaint (form_complaint, 1,600 rows)\n"
    "  ~ widen product_name from 100 to 200 characters\n"
    "1 change"))
def _(cfg: Path) -> None:
    replace(cfg / "forms/complaint.yaml", "    max_length: 100\n  - key: product_spec",
            "    max_length: 200\n  - key: product_spec")


@step("change choices", (
    "complaint (form_complaint, 1,600 rows)\n"
    "  = add choice wechat to channel (no database change)\n"
    "  = channel: labels of choice email changed (no database change)\n"
    "2 changes"))
def _(cfg: Path) -> None:
    replace(cfg / "forms/complaint.yaml",
            "      - {value: email, label: {zh: 邮件, en: E-mail}}\n",
            "      - {value: email, label: {zh: 电子邮件, en: E-mail}}\n"
            "      - {value: wechat, label: {zh: 微信, en: WeChat}}\n")


@step("add form", (
    "warranty (form_warranty)\n"
    "  + create table form_warranty (2 fields)\n"
    "1 change"))
def _(cfg: Path) -> None:
    (cfg / "forms/warranty.yaml").write_text(
        "key: warranty\nlabel: 保修登记\ncategory: service\nfields:\n"
        "  - {key: serial_no, label: 序列号, required: true}\n"
        "  - {key: customer, label: 客户, type: reference, form: customer}\n",
        encoding="utf-8")


@step("retire form", (
    "satisfaction_survey (form_satisfaction_survey)\n"
    "  - retire form satisfaction_survey: table form_satisfaction_survey and its 400 rows "
    "kept, hidden from screens\n"
    "1 change"))
def _(cfg: Path) -> None:
    (cfg / "forms/satisfaction_survey.yaml").unlink()
    drop_form_from_roles(cfg / "roles.yaml", "satisfaction_survey")
    drop_form_from_dashboards(cfg, "satisfaction_survey")


@step("safe type change", (
    "customer (form_customer, 800 rows)\n"
    "  ~ change type of vip_level from string to integer (every stored value converts)  [risky]\n"
    "1 change"))
def _(cfg: Path) -> None:
    replace(cfg / "forms/customer.yaml",
            "  - key: vip_level\n    label: {zh: 会员等级, en: VIP level}\n    max_length: 10\n",
            "  - key: vip_level\n    label: {zh: 会员等级, en: VIP level}\n    type: integer\n")


@step("unsafe type change refused", (
    "complaint (form_complaint, 1,600 rows)\n"
    "  ! REFUSED: change type of product_name from string to integer: 1,600 rows do not "
    "convert (ids 1, 2, 3, 4, 5)\n"
    "1 change, 1 refused: nothing will be applied until they are resolved"))
def _(cfg: Path) -> None:
    replace(cfg / "forms/complaint.yaml",
            "  - key: product_name\n    label: {zh: 产品名称, en: Product}\n    required: true\n"
            "    max_length: 200\n",
            "  - key: product_name\n    label: {zh: 产品名称, en: Product}\n    required: true\n"
            "    type: integer\n")


@step("choice removal refused", (
    "complaint (form_complaint, 1,600 rows)\n"
    "  ! REFUSED: remove choice 'email' of channel: 533 rows still use it; change them first\n"
    "1 change, 1 refused: nothing will be applied until they are resolved"))
def _(cfg: Path) -> None:
    replace(cfg / "forms/complaint.yaml",
            "      - {value: email, label: {zh: 电子邮件, en: E-mail}}\n", "")


def test_twelve_edits_keep_every_value(make_app, tmp_path: Path) -> None:
    cfg = tmp_path / "config"
    shutil.copytree(CONFIG, cfg, ignore=shutil.ignore_patterns("industries"))
    app = make_app(cfg)
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    spec = portal_of(app).spec
    bulk_records(app, spec.form("customer"), 800)
    bulk_records(app, spec.form("complaint"), 1600,
                 channel=lambda i: ("phone", "email", "online")[i % 3])
    bulk_records(app, spec.form("satisfaction_survey"), 400)
    bulk_records(app, spec.form("compensation"), 400)
    before = live_rows(app)
    assert {t: len(r) for t, r in before.items()} == {
        "form_customer": 800, "form_complaint": 1600, "form_satisfaction_survey": 400,
        "form_compensation": 400}

    for name, edit, _plan in STORY:
        saved = {p: p.read_bytes() for p in cfg.rglob("*.yaml")}
        edit(cfg)
        stepped = make_app(cfg, setup=False, SQLALCHEMY_DATABASE_URI=url)
        if name == "safe type change":  # values that all convert: set them now
            with stepped.app_context():
                stepped.appbuilder.session.execute(sa.text(
                    "UPDATE form_customer SET vip_level = CAST(id % 5 AS VARCHAR(10))"))
                stepped.appbuilder.session.commit()
            before = live_rows(stepped)
        result = upgrade(stepped, allow_risky=True)
        text = result.plan.text()
        PLANS[name] = text
        print(f"--- {name}\n{text}")
        after = live_rows(stepped)
        for table, rows in before.items():
            for row_id, values in rows.items():
                for column, value in values.items():
                    now = after[table][row_id]
                    renamed = {"phone": "mobile"} if name == "rename" else {}
                    new_column = renamed.get(column, column)
                    if column == "changed_on" or (table == "form_customer"
                                                  and column == "version"):
                        continue
                    if name == "safe type change" and column == "vip_level":
                        assert now["vip_level"] == int(value)
                        continue
                    assert now[new_column] == value, (name, table, row_id, column)
        if result.reason == "refused":  # the admin takes the refused edit back
            for path in cfg.rglob("*.yaml"):
                if path not in saved:
                    path.unlink()
            for path, content in saved.items():
                path.write_bytes(content)
        before = after
    assert {name: plan for name, _, plan in STORY} == PLANS
