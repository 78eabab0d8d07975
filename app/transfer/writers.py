"""Exported rows as a CSV or an Excel file, written as the rows arrive and sent in chunks.

CSV: UTF-8 with a byte-order mark (so Excel on Windows reads the Chinese), text cells
neutralised against formulas (app/fieldtypes/spreadsheet.py). XLSX: openpyxl's write-only
workbook, which writes each row to a temporary file as it is appended, so memory stays flat
however many rows there are; cells keep their types (numbers, dates as dates, money with a
¥ format). Text is always a string cell, never a formula: openpyxl would turn a str starting
with "=" into one, so such cells are written as strings explicitly, and text a spreadsheet
would read as a formula when edited (= + - @) gets Excel's "quote prefix" style. The cell
then shows and holds exactly the text (no added quote to strip on import, unlike the CSV),
and Excel keeps it text even when the cell is edited.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import tempfile
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from app.fieldtypes.spreadsheet import FORMULA_START, to_csv_cell

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHUNK = 1 << 16  # bytes sent at a time
CSV_ROWS = 500  # rows encoded at a time
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
MONEY_FORMAT = '"¥"#,##0.00'
TITLE_BAD = str.maketrans({c: " " for c in "[]:*?/\\"})


class Money(Decimal):
    """An amount of yuan: written with the ¥ number format."""


def decimal_format(scale: int) -> str:
    return "0." + "0" * scale if scale else "0"


def csv_chunks(header: list[str], rows: Iterable[list[Any]]) -> Iterator[bytes]:
    """The CSV file in chunks: header, then rows of texts (or numbers) as they come."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow([to_csv_cell(h) for h in header])
    for count, row in enumerate(rows, 1):
        writer.writerow(row)
        if count % CSV_ROWS == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


class XlsxWriter:
    """One sheet, appended row by row; `chunks()` then sends the saved file and removes it.
    A value is str (text), int, Decimal (a number; Money: an amount), date, datetime or None;
    `formats` gives a column's number format for its Decimals (by column index)."""

    def __init__(self, title: str, header: list[str], widths: list[int] | None = None,
                 formats: dict[int, str] | None = None) -> None:
        self.book = Workbook(write_only=True)
        self.sheet = self.book.create_sheet(title.translate(TITLE_BAD)[:31] or "Sheet1")
        for index, width in enumerate(widths or [], 1):
            self.sheet.column_dimensions[get_column_letter(index)].width = width
        self.formats = formats or {}
        self._cells: dict[tuple[int, str], Any] = {}  # one styled cell per column and style
        bold = Font(bold=True)
        cells = []
        for name in header:
            cell = self._text(name, (0, "header"))
            cell.font = bold
            cells.append(cell)
        self.sheet.append(cells)
        self.rows = 0

    def _cell(self, key: tuple[int, str], number_format: str | None = None,
              quote: bool = False) -> Any:
        cell = self._cells.get(key)
        if cell is None:
            cell = self._cells[key] = WriteOnlyCell(self.sheet)
            if number_format:
                cell.number_format = number_format
            if quote:
                cell.quotePrefix = True
        return cell

    def _text(self, text: str, key: tuple[int, str]) -> Any:
        if ILLEGAL_CHARACTERS_RE.search(text):  # control characters a sheet cannot hold
            text = ILLEGAL_CHARACTERS_RE.sub("", text)
        if not text.startswith(FORMULA_START) and key[1] != "header":
            return text
        cell = WriteOnlyCell(self.sheet) if key[1] == "header" else self._cell(
            (key[0], "quoted"), quote=True)
        cell.value = text
        cell.data_type = "s"  # never a formula
        return cell

    def append(self, values: list[Any]) -> None:
        """A row; each styled cell object is reused, as the row is written at once."""
        row: list[Any] = []
        for index, value in enumerate(values):
            if value is None or isinstance(value, int) and not isinstance(value, bool):
                row.append(value)
            elif isinstance(value, str):
                row.append(self._text(value, (index, "text")))
            elif isinstance(value, dt.datetime):
                cell = self._cell((index, "datetime"), DATETIME_FORMAT)
                cell.value = value.replace(tzinfo=None)
                row.append(cell)
            elif isinstance(value, dt.date):
                cell = self._cell((index, "date"), DATE_FORMAT)
                cell.value = value
                row.append(cell)
            elif isinstance(value, Money):
                cell = self._cell((index, "money"), MONEY_FORMAT)
                cell.value = Decimal(value)
                row.append(cell)
            elif isinstance(value, Decimal) and index in self.formats:
                cell = self._cell((index, "decimal"), self.formats[index])
                cell.value = value
                row.append(cell)
            else:
                row.append(value if isinstance(value, Decimal | float) else str(value))
        self.sheet.append(row)
        self.rows += 1

    def chunks(self) -> Iterator[bytes]:
        """The workbook, saved to a temporary file and sent in chunks; the file is removed
        when sent (or when the download is cut off)."""
        handle, path = tempfile.mkstemp(suffix=".xlsx", prefix="portal-export-")
        os.close(handle)
        try:
            self.book.save(path)
            with open(path, "rb") as fh:
                while chunk := fh.read(CHUNK):
                    yield chunk
        finally:
            os.remove(path)
