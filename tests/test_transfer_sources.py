"""The file of an import (app/transfer/sources.py): CSV or XLSX told apart by content, CSV
encodings, Excel's typed cells read as the texts a CSV export holds, formula and error cells
refused where they are, broken or encrypted workbooks refused with a reason, and a sheet that
claims a huge size read row by row as stored."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask_babel import force_locale
from openpyxl import Workbook

from app.transfer.sources import (
    CsvFile,
    ImportRefused,
    RefusedCell,
    XlsxFile,
    detect_encoding,
    number_text,
    open_source,
)
from tests.support.transfer import xlsx_file


# -- CSV ---------------------------------------------------------------------------------
def refusal(app: Flask | None, read: Callable[[], object]) -> list[str]:
    """The problems `read` is refused with: in Chinese in an app context (as import_file
    runs it), in English outside any (flask_babel's gettext then translates nothing)."""
    with pytest.raises(ImportRefused) as refused:
        if app is None:
            read()
        else:
            with app.app_context(), force_locale("zh"):
                read()
    return refused.value.problems


def test_encodings_are_told_apart(app: Flask, tmp_path: Path) -> None:
    text = "序列号,客户\nSN-1,王五\n"
    for encoding, expected in (("utf-8-sig", "utf-8-sig"), ("utf-8", "utf-8-sig"),
                               ("gb18030", "gb18030")):
        (tmp_path / "f.csv").write_bytes(text.encode(encoding))
        assert detect_encoding(str(tmp_path / "f.csv")) == expected
    path = str(tmp_path / "f.csv")
    for data, zh, en in (
            (b"\x81\x30\xff\xff", "既不是 UTF-8 也不是 GB18030 编码的文本；请另存为 CSV",
             "neither UTF-8 nor GB18030 text; save it as CSV"),
            (b"PK\x03\x04\x14\x00", "这是 Excel 工作簿，不是 CSV；请另存为“CSV UTF-8”",
             "an Excel workbook, not CSV; save it as \"CSV UTF-8\""),
            (text.encode("utf-16"),
             "这是 UTF-16 文本（Excel 的“Unicode 文本”）；请另存为“CSV UTF-8”",
             "UTF-16 text (Excel's \"Unicode text\"); save it as \"CSV UTF-8\"")):
        (tmp_path / "f.csv").write_bytes(data)
        assert refusal(app, lambda: detect_encoding(path)) == [f"{path}: {zh}"]
        assert refusal(None, lambda: detect_encoding(path)) == [f"{path}: {en}"]


def test_rows_are_numbered_as_a_spreadsheet_shows_them_and_the_bytes_hashed(
        tmp_path: Path) -> None:
    data = "\ufeffa,b\r\n1,\"two\nlines\"\r\n\r\n3,4\r\n".encode()
    (tmp_path / "f.csv").write_bytes(data)
    source = CsvFile(str(tmp_path / "f.csv"))
    assert list(source.records()) == [(1, ["a", "b"]), (2, ["1", "two\nlines"]), (3, []),
                                      (4, ["3", "4"])]
    assert source.sha256 == hashlib.sha256(data).hexdigest()



def test_a_file_the_csv_reader_cannot_read_is_refused_at_its_row(app: Flask,
                                                                   tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text("a,b\n1,2\n3," + "x" * 200_000 + "\n", encoding="utf-8")
    # The csv module's own words are quoted in the translated sentence.
    assert refusal(app, lambda: list(CsvFile(str(path)).records())) == [
        f"{path}:3: 无法按 CSV 读取（field larger than field limit (131072)）"]
    assert refusal(None, lambda: list(CsvFile(str(path)).records())) == [
        f"{path}:3: not readable as CSV (field larger than field limit (131072))"]


def test_a_file_changed_after_its_encoding_was_told_is_refused(app: Flask,
                                                                tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    source = CsvFile(str(path))  # told UTF-8, then rewritten before it is read
    path.write_bytes(b"a,b\n\xff\xfe,2\n")
    assert refusal(app, lambda: list(source.records())) == [f"{path}: 读取期间文件被修改了"]
    assert refusal(None, lambda: list(source.records())) == [
        f"{path}: the file changed while it was being read"]


# -- XLSX ----------------------------------------------------------------------------------
def test_the_kind_of_file_is_told_by_its_content_not_its_name(tmp_path: Path) -> None:
    book = xlsx_file(tmp_path / "named.csv", [["a"], ["1"]])
    (tmp_path / "named.xlsx").write_text("a\n1\n", encoding="utf-8")
    assert isinstance(open_source(str(book)), XlsxFile)
    assert isinstance(open_source(str(tmp_path / "named.xlsx")), CsvFile)


@pytest.mark.parametrize(("value", "text"), [
    (12.0, "12"), (12, "12"), (-2, "-2"), (1234.5, "1234.5"), (0.1 + 0.2, "0.30000000000000004"),
    (1234567890.12, "1234567890.12"), (1e20, "1e+20")])
def test_numbers_are_read_without_float_noise(value: Any, text: str) -> None:
    assert number_text(value) == text


def test_typed_cells_are_read_as_the_texts_an_export_holds(tmp_path: Path) -> None:
    path = xlsx_file(tmp_path / "t.xlsx", [
        ["日期", "时间", "整数", "小数", "是否", "文本", "像公式的文本", "空"],
        [dt.date(2026, 1, 15), dt.datetime(2026, 1, 15, 9, 30, 5), 12.0, 1234.5, True,
         " 张三 ", "=1+1", None],
        [dt.datetime(2026, 1, 15), dt.datetime(2026, 1, 15, 9, 30, 4, 999_999), 3, 0.25,
         False, "-2", "'=x", "x"]])
    source = open_source(str(path))
    rows = list(source.records())
    assert rows == [
        (1, ["日期", "时间", "整数", "小数", "是否", "文本", "像公式的文本", "空"]),
        (2, ["2026-01-15", "2026-01-15 09:30:05", "12", "1234.5", "是", " 张三 ", "=1+1"]),
        (3, ["2026-01-15", "2026-01-15 09:30:05", "3", "0.25", "否", "-2", "'=x", "x"])]
    assert source.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert not any(isinstance(c, RefusedCell) for _, cells in rows for c in cells)


def test_formula_and_error_cells_are_refused_where_they_are(app: Flask, tmp_path: Path
                                                            ) -> None:
    book = Workbook()
    sheet: Any = book.active
    sheet.append(["a", "b", "c"])
    sheet.append([1, "=SUM(A1:A3)", None])
    sheet["C2"].value, sheet["C2"].data_type = "#N/A", "e"
    book.save(tmp_path / "f.xlsx")
    with app.app_context(), force_locale("zh"):
        [_, (row, cells)] = list(open_source(str(tmp_path / "f.xlsx")).records())
    assert row == 2 and cells == ["1", "=SUM(A1:A3)", "#N/A"]
    assert [getattr(c, "problem", None) for c in cells] == [
        None, "这是公式（=SUM(A1:A3)），不是值；请填写值", "这是错误值（#N/A），不是值；请填写值"]


def test_empty_rows_keep_their_numbers_and_the_first_visible_sheet_is_read(
        tmp_path: Path) -> None:
    book = Workbook()
    hidden: Any = book.active
    hidden.title, hidden.sheet_state = "旧数据", "hidden"
    hidden.append(["not this"])
    data: Any = book.create_sheet("数据")
    data["A1"], data["A4"], data["C4"] = "a", "x", "z"
    book.save(tmp_path / "s.xlsx")
    assert list(open_source(str(tmp_path / "s.xlsx")).records()) == [
        (1, ["a"]), (2, []), (3, []), (4, ["x", "", "z"])]


def test_a_sheet_claiming_a_huge_size_is_read_as_stored(tmp_path: Path) -> None:
    """Excel's largest range in the sheet's <dimension>: no row is padded to 16,384 cells."""
    small = xlsx_file(tmp_path / "small.xlsx", [["a", "b"], ["1", "2"]])
    huge = tmp_path / "huge.xlsx"
    with zipfile.ZipFile(small) as src, zipfile.ZipFile(huge, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data, found = re.subn(rb'<dimension ref="[A-Z0-9:]+" ?/>',
                                      b'<dimension ref="A1:XFD1048576"/>', data)
                if not found:  # openpyxl wrote none: add it where Excel puts it
                    data = data.replace(b"<sheetData>",
                                        b'<dimension ref="A1:XFD1048576"/><sheetData>')
            dst.writestr(item, data)
    assert list(open_source(str(huge)).records()) == [(1, ["a", "b"]), (2, ["1", "2"])]


@pytest.mark.parametrize(("data", "zh", "en"), [
    (b"PK\x03\x04" + b"\x00" * 40,
     "无法作为 Excel 工作簿读取（File is not a zip file）；请重新保存为 .xlsx，或另存为“CSV UTF-8”",
     "not a readable Excel workbook (File is not a zip file); save it again as .xlsx, or as "
     "CSV UTF-8"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 40,
     "这是加密的工作簿或旧版 Excel 97-2003（.xls）文件；请另存为不设密码的 .xlsx，"
     "或另存为“CSV UTF-8”",
     "an encrypted workbook or an old Excel 97-2003 (.xls) file; save it as .xlsx without a "
     "password, or as CSV UTF-8"),
])
def test_broken_or_encrypted_workbooks_are_refused_with_a_reason(
        app: Flask, tmp_path: Path, data: bytes, zh: str, en: str) -> None:
    path = tmp_path / "bad.xlsx"
    path.write_bytes(data)
    assert refusal(app, lambda: list(open_source(str(path)).records())) == [f"{path}: {zh}"]
    assert refusal(None, lambda: list(open_source(str(path)).records())) == [f"{path}: {en}"]


def test_a_zip_that_is_not_a_workbook_is_refused(app: Flask, tmp_path: Path) -> None:
    path = tmp_path / "other.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme.txt", "not a workbook")
    [problem] = refusal(app, lambda: list(open_source(str(path)).records()))
    assert problem.startswith(f"{path}: 无法作为 Excel 工作簿读取（")
    assert problem.endswith("）；请重新保存为 .xlsx，或另存为“CSV UTF-8”")
    [problem] = refusal(None, lambda: list(open_source(str(path)).records()))
    assert problem.startswith(f"{path}: not a readable Excel workbook (")
    assert problem.endswith("); save it again as .xlsx, or as CSV UTF-8")


def _hide_every_sheet(path: Path) -> None:
    """openpyxl will not save a workbook without a visible sheet; Excel's files can be so."""
    with zipfile.ZipFile(path) as src:
        items = [(i, src.read(i.filename)) for i in src.infolist()]
    with zipfile.ZipFile(path, "w") as dst:
        for item, content in items:
            if item.filename == "xl/workbook.xml":
                content = content.replace(b'state="visible"', b'state="hidden"')
                assert b'state="hidden"' in content
            dst.writestr(item, content)


def test_a_workbook_without_a_visible_sheet_is_refused(app: Flask, tmp_path: Path) -> None:
    path = xlsx_file(tmp_path / "hidden.xlsx", [["a"], ["1"]])
    _hide_every_sheet(path)
    assert refusal(app, lambda: list(open_source(str(path)).records())) == [
        f"{path}: 工作簿中没有可见的工作表"]
    assert refusal(None, lambda: list(open_source(str(path)).records())) == [
        f"{path}: the workbook has no visible sheet"]


def test_a_sheet_that_cannot_be_read_is_refused_with_the_reason(app: Flask,
                                                                tmp_path: Path) -> None:
    path = xlsx_file(tmp_path / "cut.xlsx", [["a"], ["1"]])
    with zipfile.ZipFile(path) as src:
        items = [(i, src.read(i.filename)) for i in src.infolist()]
    with zipfile.ZipFile(path, "w") as dst:
        for item, content in items:
            if item.filename == "xl/worksheets/sheet1.xml":
                content = content[: len(content) // 2]  # the sheet's XML cut short
            dst.writestr(item, content)
    [problem] = refusal(app, lambda: list(open_source(str(path)).records()))
    assert problem.startswith(f"{path}: 无法读取工作表（")
    assert problem.endswith("）；请重新保存为 .xlsx，或另存为“CSV UTF-8”")
    [problem] = refusal(None, lambda: list(open_source(str(path)).records()))
    assert problem.startswith(f"{path}: the sheet cannot be read (")
