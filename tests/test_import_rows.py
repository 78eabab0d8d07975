"""Reading and checking one row of an import (app/transfer/rows.py): every kind of bad value
gets the REST API's message, references and users are found by what the export shows, and
duplicates are found within the file too."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from openpyxl.utils import get_column_letter

from app.portal import portal_of
from tests.support.factories import make_record
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
    return build_shop(make_app, tmp_path_factory.mktemp("import_rows"))


PHONE = "请输入有效的电话号码：11 位手机号码，或如 010-12345678 的固定电话号码。"
MASKED = "这是导出时被遮盖的值（****，导出人无权查看原值）；请填写真实的值"
NOT_FOUND = "没有“{0}”这条客户档案记录（按客户名称或编号查找，如 #12）"
BAD_VALUES = [
    ("序列号", "", "此项为必填项。"),
    ("序列号", "sn-1", "序列号只能包含大写字母、数字和连字符"),
    ("序列号", "A" * 21, "最多只能输入 20 个字符。"),
    ("客户", "", "此项为必填项。"),
    ("客户", "赵六", NOT_FOUND.format("赵六")),
    ("客户", "#99999", NOT_FOUND.format("#99999")),
    ("客户", "张三", "“张三”对应 2 条客户档案记录（#{0}, #{1}）；请填写所指记录的编号，如 #{0}"),
    ("联系电话", "12345", PHONE),
    ("联系电话", "１３８１２３４５６７８", PHONE),
    ("电子邮箱", "a@b", "请输入有效的电子邮箱地址。"),
    ("地址", "上海市****", MASKED),
    ("购买日期", "2026-02-30", "请按 YYYY-MM-DD 格式输入日期。"),
    ("登记时间", "昨天", "请按 YYYY-MM-DD HH:MM:SS 格式输入日期和时间。"),
    ("价格（元）", "abc", "请输入数字。"),
    ("价格（元）", "-1", "请输入 0 到 100000 之间的数字。"),
    ("价格（元）", "1.234", "小数点后最多只能有 2 位数字。"),
    ("重量（千克）", "1000", "小数点前最多只能有 3 位数字。"),
    ("数量", "1.5", "请输入整数。"),
    ("数量", "11", "请输入 1 到 10 之间的数字。"),
    ("评分", "6", "不是有效的选择。"),
    ("延保", "maybe", "请输入 true 或 false。"),
    ("购买渠道", "邮购", "请输入以下值之一：shop, online"),
    ("故障", "屏幕、键盘", "请输入以下值之一：screen, battery, noise"),
    ("处理人", "nobody", "没有用户“nobody”（先按用户名、再按姓名查找）"),
    ("处理人", "leaver", "用户“leaver”已停用"),
    ("处理人", "客服 小王", "有多个用户叫“客服 小王”；请改填用户名"),
    ("备注", "x", "请输入 2 到 200 个字符。"),
    ("备注", "含\x00字符", "文本中含有无法保存的控制字符（如 NUL），请删除后再保存。"),
]
@pytest.mark.parametrize(("column", "value", "message"), BAD_VALUES)
def test_each_bad_value_is_named_with_the_api_message_and_nothing_is_stored(
        shop: dict[str, Any], tmp_path: Path, column: str, value: str, message: str) -> None:
    app = shop["app"]
    rows = [good_row(), good_row() | {column: value}, good_row()]
    path = write(tmp_path, COLUMNS, [list(r.values()) for r in rows])
    before = (count(app), count(app, "portal_audit_event"))
    outcome, errors = run(app, path)
    assert errors == [f"3 column {get_column_letter(COLUMNS.index(column) + 1)} '{column}': "
                      f"{message.format(*shop['zhang'])}"]
    assert (outcome.rows, outcome.errors, outcome.bad_rows, outcome.stored) == (3, 1, 1, False)
    assert (count(app), count(app, "portal_audit_event")) == before


def test_duplicates_in_the_file_and_in_the_database_are_named(
        shop: dict[str, Any], tmp_path: Path) -> None:
    app = shop["app"]
    taken = good_row()
    run(app, write(tmp_path, COLUMNS, [list(taken.values())], name="first.csv"))
    again, twice = good_row(), good_row()
    rows = [again, good_row() | {"序列号": taken["序列号"]}, twice,
            good_row() | {"序列号": f" {again['序列号']} "},
            good_row() | {"序列号": twice["序列号"]}]
    before = count(app)
    outcome, errors = run(app, write(tmp_path, COLUMNS, [list(r.values()) for r in rows]))
    assert errors == ["3 column A '序列号': 该值已被其他记录使用。",
                      "5 column A '序列号': 与本文件第 2 行的值相同",
                      "6 column A '序列号': 与本文件第 4 行的值相同"]
    assert count(app) == before


def test_rows_are_checked_alike_whatever_came_before(shop: dict[str, Any],
                                                     tmp_path: Path) -> None:
    """One form is processed again for every row: no value or error may carry over."""
    app = shop["app"]
    bad = [good_row() | {column: value} for column, value, _ in BAD_VALUES[:12]]
    expected = []
    for row in bad:
        _, errors = run(app, write(tmp_path, COLUMNS, [list(row.values())]))
        expected.append(errors[0].split(" ", 1)[1])
    mixed = [r for pair in zip(bad, [good_row() for _ in bad], strict=True) for r in pair]
    _, errors = run(app, write(tmp_path, COLUMNS, [list(r.values()) for r in reversed(mixed)]))
    assert [e.split(" ", 1)[1] for e in errors] == list(reversed(expected))


def test_extra_cells_are_refused_and_short_rows_are_blank(shop: dict[str, Any],
                                                          tmp_path: Path) -> None:
    app = shop["app"]
    path = write(tmp_path, HEADER + ["备注"], [[serial(), "王五", "2026-01-05", "门店", "备注",
                                              "多余"], [serial(), "王五"]])
    _, errors = run(app, path)
    assert errors == ["2: 此行有 6 个单元格，但表头只有 5 列",
                      "3 column C '购买日期': 此项为必填项。",
                      "3 column D '购买渠道': 此项为必填项。"]



def test_a_record_is_found_by_a_date_it_is_displayed_by(shop: dict[str, Any],
                                                        tmp_path: Path) -> None:
    app = shop["app"]
    visit = portal_of(app).spec.form("visit")
    once = make_record(app, visit, visit_date=dt.date(2026, 1, 5))
    twice = [make_record(app, visit, visit_date=dt.date(2026, 2, 1)) for _ in range(2)]
    first = serial()
    rows = [[first, "王五", "2026-01-05", "门店", "2026/1/5"],
            [serial(), "王五", "2026-01-05", "门店", "2026-02-01"],
            [serial(), "王五", "2026-01-05", "门店", "2026-02-30"]]
    _, errors = run(app, write(tmp_path, HEADER + ["上门服务"], rows))
    assert errors == [
        f"3 column E '上门服务': “2026-02-01”对应 2 条上门服务记录（#{twice[0].id}, "
        f"#{twice[1].id}）；请填写所指记录的编号，如 #{twice[0].id}",
        "4 column E '上门服务': 没有“2026-02-30”这条上门服务记录（按上门日期或编号查找，如 #12）"]
    outcome, errors = run(app, write(tmp_path, HEADER + ["上门服务"], rows[:1]))
    assert errors == [] and stored(app, first)["visit_id"] == once.id


def test_a_reference_is_found_within_the_importing_users_row_scope(make_app, tmp_path):
    """Staff see their own complaints only: another's complaint is "no record" for them,
    as the screens' select would not offer it; a supervisor's import finds it."""
    from app.transfer.importer import import_file

    app = make_app()
    complaint = portal_of(app).spec.form("complaint")
    mine = make_record(app, complaint, "staff").id
    theirs = make_record(app, complaint, "manager").id
    path = tmp_path / "补偿.csv"
    path.write_text("complaint,kind,amount,reason,proposed_by\n"
                    f"#{mine},refund,10,破损,staff\n#{theirs},refund,10,破损,staff\n",
                    encoding="utf-8")
    found: dict[str, list[str]] = {}
    with app.app_context():
        for user in ("staff", "admin"):
            errors: list[str] = []
            import_file(str(path), "compensation", user, dry_run=True,
                        on_error=lambda e, errors=errors: errors.append(f"{e.row} {e.message}"))
            found[user] = errors
    assert found == {"staff": [f"3 没有“#{theirs}”这条投诉登记记录（按工单号或编号查找，"
                               "如 #12）"], "admin": []}
