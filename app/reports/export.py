"""A report's table as an Excel workbook (openpyxl) or CSV: numbers stay numbers (Excel can
sum them), with the unit in its own column; a cell never starts a formula."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from app.reports.report import HEADER, KpiRow

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _text(value: str) -> str:
    """Text as data: a leading = + - @ would make Excel run it as a formula."""
    return "'" + value if value.startswith(FORMULA_START) else value


def to_xlsx(title: str, rows: Sequence[KpiRow], lang: str) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "KPI"
    sheet.append([_text(title)])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append([h.get(lang) for h in HEADER])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([_text(row.label), row.current, row.previous, row.change,
                      _text(row.unit)])
        for cell in sheet[sheet.max_row][1:4]:
            cell.number_format = "#,##0.0##"
            cell.alignment = Alignment(horizontal="right")
    for column, width in zip("ABCDE", (22, 14, 14, 12, 8), strict=True):
        sheet.column_dimensions[column].width = width
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def to_csv(title: str, rows: Sequence[KpiRow], lang: str) -> bytes:
    """UTF-8 with a byte-order mark, so Excel on Windows reads the Chinese."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([_text(title)])
    writer.writerow([h.get(lang) for h in HEADER])
    for row in rows:
        writer.writerow([_text(row.label), _number(row.current), _number(row.previous),
                         _number(row.change), _text(row.unit)])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:.4f}".rstrip("0")
