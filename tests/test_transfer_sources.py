"""The file of an import (app/transfer/sources.py): CSV or XLSX told apart by content, CSV
encodings, Excel's typed cells read as the texts a CSV export holds, formula and error cells
refused where they are, broken or encrypted workbooks refused with a reason, and a sheet that
claims a huge size read row by row as stored."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import zipfile
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
def test_encodings_are_told_apart(tmp_path: Path) -> None:
    text = "序列号,客户\nSN-1,王五\n"
    for encoding, expected in (("utf-8-sig", "utf-8-sig"), ("utf-8", "utf-8-sig"),
                               ("gb18030", "gb18030")):
        (tmp_path / "f.csv").write_bytes(text.encode(encoding))
        assert detect_encoding(str(tmp_path / "f.csv")) == expected
    for data, problem in (
            (b"\x81\x30\xff\xff", "neither UTF-8 nor GB18030 text; save it as CSV"),
            (b"PK\x03\x04\x14\x00", "an Excel workbook, not CSV; save it as \"CSV UTF-8\""),
            (text.encode("utf-16"), "UTF-16 text (Excel's \"Unicode text\"); save it as "
                                    "\"CSV UTF-8\"")):
        (tmp_path / "f.csv").write_bytes(data)
        with pytest.raises(ImportRefused) as refused:
            detect_encoding(str(tmp_path / "f.csv"))
        assert refused.value.problems == [f"{tmp_path / 'f.csv'}: {problem}"]


def test_rows_are_numbered_as_a_spreadsheet_shows_them_and_the_bytes_hashed(
        tmp_path: Path) -> None:
    data = "\ufeffa,b\r\n1,\"two\nlines\"\r\n\r\n3,4\r\n".encode()
    (tmp_path / "f.csv").write_bytes(data)
    source = CsvFile(str(tmp_path / "f.csv"))
    assert list(source.records()) == [(1, ["a", "b"]), (2, ["1", "two\nlines"]), (3, []),
                                      (4, ["3", "4"])]
    assert source.sha256 == hashlib.sha256(data).hexdigest()



def test_a_file_the_csv_reader_cannot_read_is_refused_at_its_row(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text("a,b\n1,2\n3," + "x" * 200_000 + "\n", encoding="utf-8")
    with pytest.raises(ImportRefused) as refused:
        list(CsvFile(str(path)).records())
    assert refused.value.problems == [f"{path}:3: not readable as CSV (field larger than "
                                      "field limit (131072))"]

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


@pytest.mark.parametrize(("data", "problem"), [
    (b"PK\x03\x04" + b"\x00" * 40, "not a readable Excel workbook (File is not a zip file); "
                                   "save it again as .xlsx, or as CSV UTF-8"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 40,
     "an encrypted workbook or an old Excel 97-2003 (.xls) file; save it as .xlsx without a "
     "password, or as CSV UTF-8"),
])
def test_broken_or_encrypted_workbooks_are_refused_with_a_reason(
        tmp_path: Path, data: bytes, problem: str) -> None:
    path = tmp_path / "bad.xlsx"
    path.write_bytes(data)
    with pytest.raises(ImportRefused) as refused:
        list(open_source(str(path)).records())
    assert refused.value.problems == [f"{path}: {problem}"]


def test_a_zip_that_is_not_a_workbook_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme.txt", "not a workbook")
    with pytest.raises(ImportRefused) as refused:
        list(open_source(str(path)).records())
    [problem] = refused.value.problems
    assert problem.startswith(f"{path}: not a readable Excel workbook (")
    assert problem.endswith("); save it again as .xlsx, or as CSV UTF-8")
