"""`flask portal import FORM FILE [--dry-run] [--as USERNAME]`: the portal's own CSV and XLSX
exports import back; errors are listed as FILE:ROW and nothing is stored; a stored import is
one `import` audit event (and a `create` event per record)."""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from app.portal import portal_of
from tests.support.app import login
from tests.support.factories import make_record
from tests.support.transfer import xlsx_file

CUSTOMERS = [["客户名称", "联系电话", "公司名称", "电子邮箱"],
             ["李雷", "13912345678", "甲公司", "lilei@example.com"],
             ["韩梅梅", "021-87654321", "", ""]]


@pytest.fixture(scope="module")
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


def write(path: Path, rows: list[list[str]], encoding: str = "utf-8-sig") -> Path:
    with open(path, "w", encoding=encoding, newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def invoke(app: Flask, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=["portal", "import", *args])


def records(app: Flask, form: str, after: int = 0) -> list[dict[str, Any]]:
    model = portal_of(app).models.models[form]
    columns = [f.column for f in model.__form__.fields] + ["created_by_fk"]
    with app.app_context():
        items = app.appbuilder.session.scalars(
            sa.select(model).where(model.id > after).order_by(model.id)).all()
        return [{c: getattr(i, c) for c in columns} for i in items]


def last_id(app: Flask, form: str) -> int:
    with app.app_context():
        return int(app.appbuilder.session.scalar(sa.text(
            f"select coalesce(max(id), 0) from form_{form}")))


def events(app: Flask, action: str, after: int = 0) -> list[dict[str, Any]]:
    with app.app_context():
        rows = app.appbuilder.session.execute(sa.text(
            "select id, user_id, username, form, record_id, outcome, details "
            "from portal_audit_event where action = :a and id > :i order by id"),
            {"a": action, "i": after}).mappings()
        return [dict(r, details=json.loads(r["details"] or "null")) for r in rows]


def last_event(app: Flask) -> int:
    with app.app_context():
        return int(app.appbuilder.session.scalar(sa.text(
            "select coalesce(max(id), 0) from portal_audit_event")))


def user_id(app: Flask, username: str) -> int:
    with app.app_context():
        return int(app.appbuilder.sm.find_user(username=username).id)


def test_import_stores_the_rows_and_audits_the_import(app: Flask, tmp_path: Path) -> None:
    path = write(tmp_path / "客户.csv", CUSTOMERS)
    start, event = last_id(app, "customer"), last_event(app)
    result = invoke(app, "customer", str(path), "--as", "staff")
    assert (result.exit_code, result.stdout, result.stderr) == (
        0, "imported 2 record(s) into 客户档案\n", "")
    staff = user_id(app, "staff")
    new = records(app, "customer", start)
    assert new == [
        {"name": "李雷", "phone": "13912345678", "company": "甲公司",
         "email": "lilei@example.com", "address": None, "notes": None, "created_by_fk": staff},
        {"name": "韩梅梅", "phone": "021-87654321", "company": None, "email": None,
         "address": None, "notes": None, "created_by_fk": staff}]
    [imported] = events(app, "import", event)
    assert {k: imported[k] for k in ("user_id", "username", "form", "outcome", "details")} == {
        "user_id": staff, "username": "staff", "form": "customer", "outcome": "ok",
        "details": {"file": "客户.csv", "rows": 2,
                    "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}}
    created = events(app, "create", event)  # the session's write capture, one per record
    assert [(e["form"], e["record_id"], e["username"]) for e in created
            if e["form"] == "customer"] == [("customer", str(start + 1), "staff"),
                                            ("customer", str(start + 2), "staff")]
    assert created[-1]["id"] < imported["id"]  # same transaction, the import event last


def test_dry_run_says_what_would_be_imported_and_stores_nothing(app: Flask,
                                                                tmp_path: Path) -> None:
    rows = [["编号", "客户", "产品名称", "发生时间", "投诉事由 / 问题描述", "创建人"],
            ["7", "#1", "面霜", "2026-03-01 09:00", "用后皮肤泛红", "staff test"]]
    make_record(app, portal_of(app).spec.form("customer"))
    path = write(tmp_path / "c.csv", rows)
    start, event = last_id(app, "complaint"), last_event(app)
    result = invoke(app, "complaint", str(path), "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "ignored columns (the export's own): 编号, 创建人",
        "columns: 客户 → customer, 产品名称 → product_name, 发生时间 → occurred_at, "
        "投诉事由 / 问题描述 → description",
        "defaults for absent columns: 受理渠道 (channel), 严重程度 (severity), 优先级 "
        "(priority), 记录人 (recorded_by)",
        "dry run: 1 record(s) would be imported into 投诉登记 as admin; nothing was stored"]
    assert last_id(app, "complaint") == start and last_event(app) == event


def test_errors_are_listed_by_file_and_row_and_nothing_is_stored(app: Flask,
                                                                 tmp_path: Path) -> None:
    path = write(tmp_path / "bad.csv", [
        CUSTOMERS[0], ["王五", "13812345678", "", ""], ["", "12345", "", "bad@"],
        [], ["赵六", "138****5678", "", ""]])
    start, event = last_id(app, "customer"), last_event(app)
    result = invoke(app, "customer", str(path))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{path}:3 column A '客户名称': 此项为必填项。",
        f"{path}:3 column B '联系电话': 请输入有效的电话号码：11 位手机号码，或如 010-12345678 的"
        "固定电话号码。",
        f"{path}:3 column D '电子邮箱': 请输入有效的电子邮箱地址。",
        f"{path}:5 column B '联系电话': 这是导出时被遮盖的值（****，导出人无权查看原值）；"
        "请填写真实的值",
        "Error: 4 error(s) in 2 of 3 row(s); nothing was imported"]
    assert result.stdout == ""
    assert last_id(app, "customer") == start and last_event(app) == event


def test_gb18030_file_with_english_labels(app: Flask, tmp_path: Path) -> None:
    path = write(tmp_path / "excel.csv", [["Customer name", "PHONE", "Company"],
                                          ["张伟", "13700001111", "北京某某科技有限公司"]],
                 encoding="gb18030")
    start = last_id(app, "customer")
    result = invoke(app, "customer", str(path))
    assert result.stdout == "imported 1 record(s) into 客户档案\n", result.output
    assert [(r["name"], r["company"], r["created_by_fk"]) for r in records(
        app, "customer", start)] == [("张伟", "北京某某科技有限公司", user_id(app, "admin"))]


@pytest.mark.parametrize(("args", "content", "problem"), [
    (["custmer"], "客户名称\n李雷\n", "没有表单“custmer”；可用的表单：compensation（补偿审批）、"
     "complaint（投诉登记）、customer（客户档案）、satisfaction_survey（满意度回访）"),
    (["customer", "--as", "nobody"], "客户名称\n李雷\n", "没有用户“nobody”"),
    (["customer"], "", "{path}: 文件是空的（没有表头行）"),
    (["customer"], "客户名称,联系电话\n", "{path}: 只有表头行，没有记录"),
    (["customer"], "客户姓名,联系电话,公司\n李雷,13912345678,1\n",
     "{path}:1: 未知的列：'客户姓名'、'公司'；可用的列（键、中文或英文名称）：name = 客户名称 = "
     "Customer name、phone = 联系电话 = Phone、company = 公司名称 = Company、address = 地址 = "
     "Address、email = 电子邮箱 = E-mail、notes = 备注（偏好、购买记录） = Notes (preferences, "
     "purchases)\n{path}:1: 缺少必填列：客户名称（name）"),
])
def test_refused_files_say_why(app: Flask, tmp_path: Path, args: list[str], content: str,
                               problem: str) -> None:
    path = tmp_path / "in.csv"
    path.write_text(content, encoding="utf-8")
    form, *options = args
    result = invoke(app, form, str(path), *options)
    assert result.exit_code == 1
    assert result.stderr == problem.format(path=path) + "\nError: nothing was imported\n"


# -- the portal's own export imports back --------------------------------------------------
def _export(app: Flask, view: str) -> bytes:
    client = app.test_client()
    login(client, "admin")  # admins may reveal: the export carries the real phone numbers
    response = client.get(f"/{view}/export/")
    assert response.status_code == 200
    return response.get_data()


def _round_trip(app: Flask, tmp_path: Path, form: str) -> None:
    before = records(app, form)
    path = tmp_path / f"{form}.csv"
    path.write_bytes(_export(app, f"{form}view"))
    start = last_id(app, form)
    result = invoke(app, form, str(path))
    assert result.exit_code == 0, result.output
    assert result.stdout.endswith(f"imported {len(before)} record(s) into "
                                  f"{portal_of(app).spec.form(form).label.zh}\n")
    admin = user_id(app, "admin")
    # An autonumber is given anew to every imported record (its column is ignored): the
    # imported records have numbers of their own, none of the exported ones.
    given = [f.key for f in portal_of(app).spec.form(form).fields if f.given]
    after = records(app, form, start)
    assert all(r[k] for r in after for k in given)
    assert not {r[k] for r in after for k in given} & {r[k] for r in before for k in given}
    imported = {tuple(sorted((k, v) for k, v in r.items() if k not in given)) for r in after}
    # A blank yes/no stays unanswered (None), as on the screens and in the API.
    expected = {tuple(sorted((k, v) for k, v in (r | {"created_by_fk": admin}).items()
                             if k not in given)) for r in before}
    assert imported == expected, str([dict(r) for r in (imported ^ expected)])


def test_exported_customers_and_complaints_import_back(make_app: Callable[..., Flask],
                                                        tmp_path: Path) -> None:
    app = make_app()
    spec = portal_of(app).spec
    customer = make_record(app, spec.form("customer"), name="王芳", phone="13600001234",
                           address="杭州市西湖区某路8号", notes="多行\n备注，含逗号")
    make_record(app, spec.form("customer"), name="赵强", phone="0571-88886666")
    make_record(app, spec.form("complaint"), customer=customer.id, channel="social",
                satisfied=False, handler=user_id(app, "supervisor"), category="misuse")
    make_record(app, spec.form("complaint"), customer=customer.id, satisfied=None,
                production_date=None, severity=None)
    make_record(app, spec.form("compensation"), kind="coupon", amount=Decimal("1234.50"))
    # Each import doubles the records, and so makes their names ambiguous for the next form
    # referring to them: forms that are referred to go last.
    _round_trip(app, tmp_path, "compensation")
    _round_trip(app, tmp_path, "complaint")
    _round_trip(app, tmp_path, "customer")


# -- Excel ---------------------------------------------------------------------------------
def test_an_xlsx_file_is_imported_and_a_formula_cell_refused(app: Flask, tmp_path: Path
                                                              ) -> None:
    bad = xlsx_file(tmp_path / "客户.xlsx", [CUSTOMERS[0], ["王五", "13912345670"],
                                            ["赵六", "13912345671", "=A2"]],
                    formulas={(3, 3): "=A2"})
    start = last_id(app, "customer")
    result = invoke(app, "customer", str(bad))
    assert result.exit_code == 1 and result.stderr.splitlines() == [
        f"{bad}:3 column C '公司名称': 这是公式（=A2），不是值；请填写值",
        "Error: 1 error(s) in 1 of 2 row(s); nothing was imported"]
    good = xlsx_file(tmp_path / "good.xlsx", [CUSTOMERS[0], ["王五", 13912345670, "=A2"]])
    result = invoke(app, "customer", str(good), "--dry-run")
    assert result.exit_code == 0 and result.stdout.splitlines()[-1] == (
        "dry run: 1 record(s) would be imported into 客户档案 as admin; nothing was stored")
    assert last_id(app, "customer") == start
    result = invoke(app, "customer", str(good))
    assert result.stdout == "imported 1 record(s) into 客户档案\n", result.output
    [new] = records(app, "customer", start)
    assert (new["name"], new["phone"], new["company"]) == ("王五", "13912345670", "=A2")
    [imported] = events(app, "import", 0)[-1:]
    assert imported["details"]["file"] == "good.xlsx"
    assert imported["details"]["sha256"] == hashlib.sha256(good.read_bytes()).hexdigest()


def test_the_help_names_both_kinds_of_file(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["portal", "import", "--help"])
    assert "portal import [OPTIONS] FORM FILE\n" in result.output
    assert "Import records from FILE (.csv or .xlsx) into FORM" in result.output
