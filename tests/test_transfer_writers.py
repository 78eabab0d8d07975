"""Exported rows as files (app/transfer/writers.py): CSV in chunks with its BOM and formulas
neutralised; XLSX with typed cells, text that is never a formula (a string cell, quote-prefixed
when a spreadsheet would read it as one), and its temporary file removed once sent."""

from __future__ import annotations

import csv
import datetime as dt
import glob
import io
import os
import tempfile
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import load_workbook

from app.transfer import writers
from app.transfer.writers import Money, XlsxWriter, csv_chunks


def test_csv_is_sent_in_chunks_with_its_bom(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(writers, "CSV_ROWS", 2)
    chunks = list(csv_chunks(["编号", "=名称"], ([n, f"行{n}"] for n in range(5))))
    assert len(chunks) == 3 and chunks[0].startswith("\ufeff".encode())
    text = b"".join(chunks).decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text))) == [["编号", "'=名称"]] + [
        [str(n), f"行{n}"] for n in range(5)]


def _book(writer: XlsxWriter) -> Any:
    return load_workbook(io.BytesIO(b"".join(writer.chunks()))).active


def test_xlsx_cells_keep_their_types_and_text_is_never_a_formula() -> None:
    writer = XlsxWriter("客户[档案]:1", ["编号", "名称", "金额", "重量", "日期", "时间", "是否"],
                        formats={3: "0.000"})
    writer.append([1, "=1+1", Money("-1234.50"), Decimal("1.250"), dt.date(2026, 1, 15),
                   dt.datetime(2026, 1, 15, 9, 30, 5), "是"])
    writer.append([2, "普通\n两行", None, Decimal("2"), None, None, "否"])
    writer.append([3, "含\x01控制字符", Money("0"), None, None, None, "@x"])
    sheet = _book(writer)
    assert sheet.title == "客户 档案  1"
    assert [c.value for c in sheet[1]] == ["编号", "名称", "金额", "重量", "日期", "时间", "是否"]
    assert all(c.font.b for c in sheet[1])
    one = sheet[2]
    assert [c.value for c in one] == [1, "=1+1", -1234.5, 1.25, dt.datetime(2026, 1, 15),
                                      dt.datetime(2026, 1, 15, 9, 30, 5), "是"]
    assert [c.data_type for c in one] == ["n", "s", "n", "n", "d", "d", "s"]
    assert [c.number_format for c in one[2:6]] == ['"¥"#,##0.00', "0.000", "yyyy-mm-dd",
                                                   "yyyy-mm-dd hh:mm:ss"]
    assert [c.quotePrefix for c in one[:2]] == [False, True]
    assert [c.value for c in sheet[3]][:2] == [2, "普通\n两行"] and not sheet["B3"].quotePrefix
    assert (sheet["B4"].value, sheet["G4"].value, sheet["G4"].quotePrefix) == (
        "含控制字符", "@x", True)


def test_the_temporary_file_is_removed_once_sent_or_dropped() -> None:
    pattern = os.path.join(tempfile.gettempdir(), "portal-export-*.xlsx")
    before = set(glob.glob(pattern))
    writer = XlsxWriter("s", ["a"])
    writer.append([1])
    chunks = writer.chunks()
    next(chunks)
    assert len(set(glob.glob(pattern)) - before) == 1
    chunks.close()  # the download was cut off
    assert set(glob.glob(pattern)) == before


def test_a_finished_workbook_as_a_body_is_removed_even_when_never_read() -> None:
    pattern = os.path.join(tempfile.gettempdir(), "portal-export-*.xlsx")
    before = set(glob.glob(pattern))
    writer = XlsxWriter("s", ["a"])
    writer.append([1])
    path = writer.close()
    assert load_workbook(path).active["A2"].value == 1
    body = writers.TempFile(path)
    body.close()  # the response was closed before its first byte was read
    assert set(glob.glob(pattern)) == before
    writer = XlsxWriter("s", ["a"])
    sent = writers.TempFile(writer.close())
    assert b"".join(sent).startswith(b"PK")  # read through: removed as well
    assert set(glob.glob(pattern)) == before


def test_a_workbook_whose_rows_failed_half_way_is_discarded() -> None:
    pattern = os.path.join(tempfile.gettempdir(), "portal-export-*.xlsx")
    before = set(glob.glob(pattern))
    writer = XlsxWriter("s", ["a"])
    writer.append([1])
    writer.discard()  # the sheet's entry is still open for writing
    assert set(glob.glob(pattern)) == before
