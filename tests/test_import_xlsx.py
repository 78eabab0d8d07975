"""Importing an Excel file (app/transfer/importer.py with app/transfer/sources.py): one file
with twenty kinds of bad rows yields exactly those row / column / message errors and stores
nothing, as XLSX and as CSV; a dry run previews the first rows as they would be stored;
progress is reported every BATCH rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from app.transfer.sources import ImportRefused
from tests.support.importer import COLUMNS, build_shop, count, good_row, run, serial, stored, write
from tests.support.transfer import xlsx_file

NOTES = COLUMNS.index("备注") + 1  # column P


@pytest.fixture(scope="module")
def shop(make_app: Callable[..., Flask], tmp_path_factory: pytest.TempPathFactory
         ) -> dict[str, Any]:
    return build_shop(make_app, tmp_path_factory.mktemp("import_xlsx"))


def bad_rows(shop: dict[str, Any], taken: str) -> tuple[list[dict[str, Any]], list[str]]:
    """Rows 2 … of a file: a good row, then one row per kind of mistake (a good row between
    some), and the errors expected of them (row 1 is the header)."""
    first = good_row()
    rows: list[dict[str, Any]] = [first]
    expected: list[str] = []

    def bad(changes: dict[str, Any], error: str | None) -> None:
        rows.append(good_row() | changes)
        if error:
            expected.append(f"{len(rows) + 1}{error}")

    bad({"购买渠道": "邮购"}, " column D '购买渠道': 请输入以下值之一：shop, online")
    bad({"序列号": "A" * 21}, " column A '序列号': 最多只能输入 20 个字符。")
    bad({"数量": 0}, " column K '数量': 请输入 1 到 10 之间的数字。")
    bad({"价格（元）": 100001}, " column I '价格（元）': 请输入 0 到 100000 之间的数字。")
    bad({"购买日期": "明天"}, " column C '购买日期': 请按 YYYY-MM-DD 格式输入日期。")
    bad({"购买日期": "2026-02-30"}, " column C '购买日期': 请按 YYYY-MM-DD 格式输入日期。")
    bad({"价格（元）": "十元"}, " column I '价格（元）': 请输入数字。")
    bad({"数量": 2.5}, " column K '数量': 请输入整数。")
    bad({"客户": ""}, " column B '客户': 此项为必填项。")
    bad({"客户": "赵六"}, " column B '客户': 没有“赵六”这条客户档案记录（按客户名称或编号查找，"
                        "如 #12）")
    zhang = shop["zhang"]
    bad({"客户": "张三"}, f" column B '客户': “张三”对应 2 条客户档案记录（#{zhang[0]}, "
                        f"#{zhang[1]}）；请填写所指记录的编号，如 #{zhang[0]}")
    bad({"处理人": "nobody"}, " column O '处理人': 没有用户“nobody”（先按用户名、再按姓名查找）")
    bad({"处理人": "leaver"}, " column O '处理人': 用户“leaver”已停用")
    bad({"序列号": first["序列号"]}, " column A '序列号': 与本文件第 2 行的值相同")
    bad({"序列号": taken}, " column A '序列号': 该值已被其他记录使用。")
    bad({"地址": "上海市****"}, " column G '地址': 这是导出时被遮盖的值（****，导出人无权查看"
                             "原值）；请填写真实的值")
    bad({"备注": "=SUM(A1:A3)"}, " column P '备注': 这是公式（=SUM(A1:A3)），不是值；请填写值")
    bad({"多余": "x"}, ": 此行有 17 个单元格，但表头只有 16 列")
    bad({"序列号": "sn-1"}, " column A '序列号': 序列号只能包含大写字母、数字和连字符")
    bad({"联系电话": "12345"}, " column E '联系电话': 请输入有效的电话号码：11 位手机号码，或如 "
                           "010-12345678 的固定电话号码。")
    bad({"电子邮箱": "a@b"}, " column F '电子邮箱': 请输入有效的电子邮箱地址。")
    bad({"登记时间": "2026-01-05 25:00"}, " column H '登记时间': 请按 YYYY-MM-DD HH:MM:SS 格式输入"
                                      "日期和时间。")
    bad({}, None)  # a good row at the end
    return rows, expected


def _cells(row: dict[str, Any]) -> list[Any]:
    return [row.get(c, "") for c in COLUMNS] + ([row["多余"]] if "多余" in row else [])


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_a_file_with_twenty_kinds_of_bad_rows_yields_exactly_their_errors(
        shop: dict[str, Any], tmp_path: Path, fmt: str) -> None:
    app = shop["app"]
    taken = good_row()
    outcome, errors = run(app, write(tmp_path, COLUMNS, [list(taken.values())], name="t.csv"))
    assert outcome.stored and errors == []
    rows, expected = bad_rows(shop, taken["序列号"])
    formula_row = next(i for i, r in enumerate(rows, 2) if r.get("备注") == "=SUM(A1:A3)")
    if fmt == "xlsx":
        path = xlsx_file(tmp_path / "bad.xlsx", [COLUMNS] + [_cells(r) for r in rows],
                         formulas={(formula_row, NOTES): "=SUM(A1:A3)"})
    else:  # a CSV has no formulas: the text is a note like any other
        path = write(tmp_path, COLUMNS, [[str(c) for c in _cells(r)] for r in rows])
        expected = [e for e in expected if not e.startswith(f"{formula_row} ")]
    before = (count(app), count(app, "portal_audit_event"))
    outcome, errors = run(app, path)
    assert errors == expected
    assert (outcome.rows, outcome.errors, outcome.bad_rows, outcome.stored) == (
        len(rows), len(expected), len(expected), False)
    assert (count(app), count(app, "portal_audit_event")) == before
    assert len({e.split(" ")[0].split(":")[0] for e in expected}) >= 20  # twenty kinds


def test_excel_cells_are_read_as_the_values_they_show(shop: dict[str, Any],
                                                      tmp_path: Path) -> None:
    """Typed cells (a date, a time, whole and decimal numbers, yes/no) and text cells that
    merely start with "=" import as the values a CSV export would have held."""
    app, number = shop["app"], serial()
    row = good_row() | {"序列号": number, "购买日期": dt.datetime(2026, 1, 5),
                        "登记时间": dt.datetime(2026, 1, 5, 9, 30, 15), "价格（元）": 1234.5,
                        "重量（千克）": 1.25, "数量": 3, "评分": 4, "延保": True,
                        "备注": "=不是公式"}
    path = xlsx_file(tmp_path / "ok.xlsx", [COLUMNS, _cells(row)])
    outcome, errors = run(app, path)
    assert errors == [] and outcome.stored and outcome.kind == "xlsx"
    values = stored(app, number)
    assert (values["purchase_date"], values["registered_at"], str(values["price"]),
            str(values["weight"]), values["quantity"], values["rating"], values["extended"],
            values["notes"]) == (dt.date(2026, 1, 5), dt.datetime(2026, 1, 5, 9, 30, 15),
                                 "1234.50", "1.250", 3, 4, True, "=不是公式")


def test_a_dry_run_previews_the_first_good_rows_as_they_would_be_stored(
        shop: dict[str, Any], tmp_path: Path) -> None:
    app = shop["app"]
    rows = [good_row() | {"价格（元）": "1234.5", "延保": "是", "故障": "screen, battery",
                          "处理人": "staff"} for _ in range(12)]
    rows[1]["购买渠道"] = "邮购"  # a bad row is not previewed
    path = write(tmp_path, COLUMNS, [list(r.values()) for r in rows])
    before = count(app)
    outcome, errors = run(app, path, dry_run=True)
    assert len(errors) == 1 and count(app) == before
    assert [row for row, _ in outcome.preview] == [2, *range(4, 13)]
    assert outcome.preview[0][1] == {
        "序列号": rows[0]["序列号"], "客户": "王五", "购买日期": "2026-01-05", "购买渠道": "门店",
        "联系电话": "", "电子邮箱": "", "地址": "", "登记时间": "", "价格（元）": "1234.50",
        "重量（千克）": "", "数量": "", "评分": "", "延保": "是", "故障": "屏幕、电池",
        "处理人": "staff test", "备注": "", "状态": "有效"}


def test_progress_is_reported_every_batch_and_at_the_end(
        shop: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("app.transfer.importer.BATCH", 3)
    path = write(tmp_path, COLUMNS, [list(good_row().values()) for _ in range(7)])
    seen: list[int] = []
    outcome, errors = run(shop["app"], path, dry_run=True, on_progress=seen.append)
    assert errors == [] and seen == [3, 6, 7]


def test_the_template_marks_of_required_columns_are_ignored(shop: dict[str, Any],
                                                            tmp_path: Path) -> None:
    app, number = shop["app"], serial()
    header = ["序列号 *", "客户*", "购买日期 *", "购买渠道 *"]
    outcome, errors = run(app, xlsx_file(tmp_path / "m.xlsx", [
        header, [number, "王五", dt.date(2026, 3, 1), "网店"]]))
    assert errors == [] and [f.key for _, f in outcome.columns] == [
        "serial_no", "customer", "purchase_date", "channel"]
    assert stored(app, number)["channel"] == "online"


def test_a_workbook_is_refused_as_a_whole_in_the_import_s_language(
        shop: dict[str, Any], tmp_path: Path) -> None:
    """Read inside import_file: a workbook's refusals are in its locale like a CSV file's."""
    app, before = shop["app"], count(shop["app"])
    old = tmp_path / "old.xlsx"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 40)
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04" + b"\x00" * 40)
    header = xlsx_file(tmp_path / "h.xlsx", [["序列号", "客户", "颜色"],
                                              [serial(), "王五", "红"]])
    refusals = []
    for path, locale in ((old, "zh"), (broken, "zh"), (broken, "en"), (header, "zh")):
        with pytest.raises(ImportRefused) as refused:
            run(app, path, locale=locale)
        refusals.append([p.replace(str(tmp_path), "") for p in refused.value.problems])
    assert refusals == [
        ["/old.xlsx: 这是加密的工作簿或旧版 Excel 97-2003（.xls）文件；请另存为不设密码的 .xlsx，"
         "或另存为“CSV UTF-8”"],
        ["/broken.xlsx: 无法作为 Excel 工作簿读取（File is not a zip file）；请重新保存为 .xlsx，"
         "或另存为“CSV UTF-8”"],
        ["/broken.xlsx: not a readable Excel workbook (File is not a zip file); save it again "
         "as .xlsx, or as CSV UTF-8"],
        [refusals[3][0], "/h.xlsx:1: 缺少必填列：购买日期（purchase_date）、购买渠道（channel）"]]
    assert refusals[3][0].startswith("/h.xlsx:1: 未知的列：'颜色'；可用的列（键、中文或英文名称）："
                                     "serial_no = 序列号 = Serial number、")
    assert count(app) == before
