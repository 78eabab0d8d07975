"""Import (app/transfer/importer.py, app/transfer/rows.py): the file's header and cells, every
row checked with the REST API's rules and messages, all rows stored or none."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from app.transfer.sources import ImportRefused
from tests.support.importer import (
    COLUMNS,
    HEADER,
    build_shop,
    count,
    good_row,
    run,
    serial,
    stored,
    write,
)


@pytest.fixture(scope="module")
def shop(make_app: Callable[..., Flask], tmp_path_factory: pytest.TempPathFactory
         ) -> dict[str, Any]:
    return build_shop(make_app, tmp_path_factory.mktemp("import"))


# -- a good file ---------------------------------------------------------------------------
def test_every_kind_of_value_is_stored_exactly(shop: dict[str, Any], tmp_path: Path) -> None:
    app, users = shop["app"], shop["users"]
    first, second = serial(), serial()
    header = HEADER + ["联系电话", "电子邮箱", "地址", "登记时间", "价格（元）", "重量（千克）",
                       "数量", "评分", "延保", "故障", "处理人", "备注"]
    path = write(tmp_path, header, [
        [first, "王五", "2026/1/5", "网店", "13812345678", "wang@example.com", "上海市某路1号",
         "2026/1/5 9:30", "¥1,234.50", "1.250", "3", "★★★★", "是", "屏幕、异响、杂音",
         "supervisor test", "  两行\n备注  "],
        [second, f"#{shop['zhang'][1]}", "2026-01-06", "shop", "", "", "",
         "2026-01-06 10:00:00", "0", "", "", "", "否", "battery, Noise, hum", "staff", ""],
    ])
    before = count(app)
    outcome, errors = run(app, path)
    assert errors == [] and outcome.stored and outcome.rows == 2
    assert count(app) == before + 2
    row = stored(app, first)
    assert {k: v for k, v in row.items() if k not in ("id", "created_on", "changed_on")} == {
        "serial_no": first, "customer_id": shop["wang"],
        "phone": "13812345678", "email": "wang@example.com", "address": "上海市某路1号",
        "purchase_date": dt.date(2026, 1, 5), "registered_at": dt.datetime(2026, 1, 5, 9, 30),
        "price": Decimal("1234.50"), "weight": Decimal("1.250"), "quantity": 3, "rating": 4,
        "extended": True, "channel": "online", "status": "open",  # absent column: default
        "issues": "screen,noise", "handler_id": users["supervisor"], "notes": "两行\n备注",
        "visit_id": None, "version": 1, "created_by_fk": users["admin"],
        "changed_by_fk": users["admin"]}
    row = stored(app, second)
    assert (row["customer_id"], row["price"], row["extended"], row["issues"],
            row["handler_id"], row["phone"], row["notes"], row["weight"], row["rating"]) == (
        shop["zhang"][1], Decimal("0.00"), False, "battery,noise", users["staff"], None, None,
        None, None)


def test_headers_may_be_keys_or_english_labels_and_export_columns_are_ignored(
        shop: dict[str, Any], tmp_path: Path) -> None:
    app, number = shop["app"], serial()
    path = write(tmp_path, ["编号", "serial_no", "CUSTOMER", "Purchase date", "channel",
                            "Created by", "修改时间", ""],
                 [["99", number, "王五", "2026-02-01", "Online shop", "staff test", "", ""]])
    outcome, errors = run(app, path, username="staff")
    assert errors == [] and outcome.ignored == ["编号", "Created by", "修改时间"]
    assert [(h, f.key) for h, f in outcome.columns] == [
        ("serial_no", "serial_no"), ("CUSTOMER", "customer"), ("Purchase date",
                                                              "purchase_date"),
        ("channel", "channel")]
    row = stored(app, number)
    assert (row["channel"], row["created_by_fk"], row["handler_id"]) == (
        "online", shop["users"]["staff"], shop["users"]["staff"])  # current_user: --as


def test_gb18030_file_from_chinese_excel(shop: dict[str, Any], tmp_path: Path) -> None:
    app, number = shop["app"], serial()
    path = write(tmp_path, HEADER + ["备注"], [[number, "王五", "2026/3/1", "门店", "屏幕碎裂"]],
                 encoding="gb18030")
    outcome, errors = run(app, path)
    assert errors == [] and outcome.stored
    assert stored(app, number)["notes"] == "屏幕碎裂"
    assert outcome.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_dry_run_checks_everything_and_stores_nothing(shop: dict[str, Any],
                                                      tmp_path: Path) -> None:
    app = shop["app"]
    path = write(tmp_path, HEADER, [[serial(), "王五", "2026-01-05", "门店"]])
    before = count(app)
    outcome, errors = run(app, path, dry_run=True)
    assert (errors, outcome.rows, outcome.stored, count(app)) == ([], 1, False, before)
    assert [f.key for f in outcome.defaults] == ["status", "handler"]


# -- refused files -------------------------------------------------------------------------
ALLOWED = ("serial_no = 序列号 = Serial number{s}customer = 客户 = Customer{s}"
           "phone = 联系电话 = Phone{s}email = 电子邮箱 = E-mail{s}address = 地址 = Address{s}"
           "purchase_date = 购买日期 = Purchase date{s}"
           "registered_at = 登记时间 = Registered at{s}price = 价格（元） = Price (CNY){s}"
           "weight = 重量（千克） = Weight (kg){s}quantity = 数量 = Quantity{s}"
           "rating = 评分 = Rating{s}extended = 延保 = Extended{s}"
           "channel = 购买渠道 = Channel{s}status = 状态 = Status{s}issues = 故障 = Issues{s}"
           "handler = 处理人 = Handler{s}"
           "notes = 备注 = Notes{s}visit = 上门服务 = Visit")


@pytest.mark.parametrize(("header", "locale", "problem"), [
    (["序列号", "客户", "购买日期", "购买渠道", "颜色", "Size"], "zh",
     "未知的列：'颜色'、'Size'；可用的列（键、中文或英文名称）：" + ALLOWED.format(s="、")),
    (["序列号", "客户", "购买日期", "购买渠道", "颜色", "Size"], "en",
     "unknown column(s) '颜色', 'Size'; allowed (key, Chinese or English label): "
     + ALLOWED.format(s=", ")),
    (["序列号", "购买渠道"], "zh", "缺少必填列：客户（customer）、购买日期（purchase_date）"),
    (["序列号", "购买渠道"], "en", "missing required column(s): Customer (customer), "
                                  "Purchase date (purchase_date)"),
    (["序列号", "客户", "customer", "购买日期", "购买渠道"], "zh",
     "列 '客户' 和 'customer' 是同一个字段：客户（customer）"),
    (["序列号", "客户", "customer", "购买日期", "购买渠道"], "en",
     "columns '客户' and 'customer' are the same field Customer (customer)"),
    (["序列号", "", "客户", "购买日期", "购买渠道"], "zh", "第 2 列没有列名"),
    (["序列号", "", "客户", "购买日期", "购买渠道"], "en", "column 2 has no name"),
])
def test_a_wrong_header_is_refused_with_every_problem(
        shop: dict[str, Any], tmp_path: Path, header: list[str], locale: str,
        problem: str) -> None:
    path = write(tmp_path, header, [[serial(), "王五", "2026-01-05", "门店"]])
    with pytest.raises(ImportRefused) as refused:
        run(shop["app"], path, locale=locale)
    assert refused.value.problems == [f"{path}:1: {problem}"]


def test_every_header_problem_is_said_at_once(shop: dict[str, Any], tmp_path: Path) -> None:
    path = write(tmp_path, ["序列号", "", "serial_no", "颜色"], [[serial(), "", "", "红"]])
    with pytest.raises(ImportRefused) as refused:
        run(shop["app"], path)
    assert refused.value.problems == [f"{path}:1: {p}" for p in (
        "第 2 列没有列名", "列 '序列号' 和 'serial_no' 是同一个字段：序列号（serial_no）",
        "未知的列：'颜色'；可用的列（键、中文或英文名称）：" + ALLOWED.format(s="、"),
        "缺少必填列：客户（customer）、购买日期（purchase_date）、购买渠道（channel）")]


def test_empty_files_and_unknown_forms_or_users_are_refused(shop: dict[str, Any],
                                                             tmp_path: Path) -> None:
    app = shop["app"]
    (tmp_path / "empty.csv").write_bytes(b"\xef\xbb\xbf\r\n,,\r\n")
    header_only = write(tmp_path, HEADER, [["", "", "", ""]], name="header.csv")
    cases = [
        ((tmp_path / "empty.csv", "warranty"), {},
         f"{tmp_path / 'empty.csv'}: 文件是空的（没有表头行）"),
        ((tmp_path / "empty.csv", "warranty"), {"locale": "en"},
         f"{tmp_path / 'empty.csv'}: the file is empty (no header row)"),
        ((header_only, "warranty"), {}, f"{header_only}: 只有表头行，没有记录"),
        ((header_only, "warranty"), {"locale": "en"},
         f"{header_only}: only a header row, no records"),
        ((header_only, "warrant"), {}, "没有表单“warrant”；可用的表单：compensation（补偿审批）、"
         "complaint（投诉登记）、customer（客户档案）、satisfaction_survey（满意度回访）、"
         "visit（上门服务）、warranty（保修登记）"),
        ((header_only, "warrant"), {"locale": "en"}, "no form 'warrant'; forms: compensation "
         "(Compensation), complaint (Complaints), customer (Customers), satisfaction_survey "
         "(Satisfaction Callbacks), visit (Visits), warranty (Warranty registrations)"),
        ((header_only, "warranty"), {"username": "nobody"}, "没有用户“nobody”"),
        ((header_only, "warranty"), {"username": "nobody", "locale": "en"}, "no user 'nobody'"),
        ((header_only, "warranty"), {"username": "leaver"}, "用户“leaver”已停用"),
        ((header_only, "warranty"), {"username": "leaver", "locale": "en"},
         "user 'leaver' is disabled"),
    ]
    before = count(app)
    for (path, form), kwargs, message in cases:
        with pytest.raises(ImportRefused) as refused:
            run(app, path, form, **kwargs)
        assert refused.value.problems == [message]
    assert count(app) == before


def test_an_unknown_default_owner_names_the_setting(shop: dict[str, Any],
                                                    tmp_path: Path) -> None:
    app = shop["app"]
    app.config["PORTAL_ADMIN_USER"] = "boss"
    try:
        problems = []
        for locale in ("zh", "en"):
            with pytest.raises(ImportRefused) as refused:
                run(app, write(tmp_path, HEADER, []), locale=locale)
            problems += refused.value.problems
    finally:
        app.config["PORTAL_ADMIN_USER"] = "admin"
    assert problems == ["没有用户“boss”（PORTAL_ADMIN_USER）；请用 --as USERNAME 指定用户",
                        "no user 'boss' (PORTAL_ADMIN_USER); name one with --as USERNAME"]


def test_a_late_error_undoes_the_rows_already_written(
        shop: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = shop["app"]
    monkeypatch.setattr("app.transfer.importer.BATCH", 3)  # rows 2-8 are flushed before the error
    rows = [good_row() for _ in range(7)] + [good_row() | {"数量": "0"}]
    path = write(tmp_path, COLUMNS, [list(r.values()) for r in rows])
    before = (count(app), count(app, "portal_audit_event"))
    outcome, errors = run(app, path)
    assert errors == ["9 column K '数量': 请输入 1 到 10 之间的数字。"]
    assert (count(app), count(app, "portal_audit_event")) == before
    outcome, errors = run(app, write(tmp_path, COLUMNS, [list(r.values()) for r in rows[:7]]))
    assert outcome.stored and count(app) == before[0] + 7


def test_a_refusal_by_the_database_stores_nothing(
        shop: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Checked rows can still clash with a record saved meanwhile: one clean message."""
    from app.transfer.rows import RowChecker

    app, build = shop["app"], RowChecker.build
    monkeypatch.setattr(RowChecker, "build", lambda self, wtform: setattr(
        item := build(self, wtform), "serial_no", None) or item)
    path = write(tmp_path, COLUMNS, [list(good_row().values()) for _ in range(2)])
    before = (count(app), count(app, "portal_audit_event"))
    with pytest.raises(ImportRefused) as refused:
        run(app, path)
    [problem] = refused.value.problems
    assert problem.startswith(f"{path}: 数据库拒绝保存这些记录（") and problem.endswith("）")
    assert "serial_no" in problem  # the database's own words, quoted
    assert (count(app), count(app, "portal_audit_event")) == before


def test_file_columns_of_an_export_are_ignored_not_required(app: Flask) -> None:
    """Files are uploaded on the screens: an exported 照片 column (its names) is ignored, and
    a required file field is not asked of a file."""
    from dataclasses import replace

    from app.portal import portal_of
    from app.transfer.importer import map_header

    form = portal_of(app).spec.form("complaint")
    form = replace(form, fields=tuple(replace(f, required=True) if f.is_file else f
                                      for f in form.fields))
    header = [f.label.zh for f in form.entered if f.required] + ["照片", "Photos"]
    with app.test_request_context():
        columns, ignored = map_header(form, header, "c.csv", 1)
    assert ignored == ["照片", "Photos"] and columns[-2:] == [None, None]
