"""Exported rows as a CSV or an Excel file, written as the rows arrive and sent in chunks.

CSV: UTF-8 with a byte-order mark (so Excel on Windows reads the Chinese), text cells
neutralised against formulas (app/fieldtypes/spreadsheet.py). XLSX: a one-sheet
workbook written row by row into a temporary file (app/transfer/xlsx_stream.py), so memory
stays flat however many rows there are; cells keep their types (numbers, dates as dates,
money with a ¥ format). Text is always a string cell, never a formula, and text a spreadsheet
would read as a formula when edited (= + - @) gets Excel's "quote prefix" style. The cell
then shows and holds exactly the text (no added quote to strip on import, unlike the CSV),
and Excel keeps it text even when the cell is edited.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import tempfile
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from app.fieldtypes.spreadsheet import FORMULA_START, to_csv_cell
from app.transfer.xlsx_stream import SheetStream, file_chunks

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


class TempFile:
    """A finished temporary file as a response body: sent in chunks, removed once read
    through or when the response is closed (cut off, or never read at all)."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __iter__(self) -> Iterator[bytes]:
        return file_chunks(self.path, CHUNK)

    def close(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.remove(self.path)


class XlsxWriter:
    """One sheet, appended row by row into a temporary file (app/transfer/xlsx_stream.py);
    `chunks()` then sends the file and removes it. A value is str (text), int, Decimal (a
    number; Money: an amount), date, datetime or None; `formats` gives a column's number
    format for its Decimals (by column index)."""

    def __init__(self, title: str, header: list[str], widths: list[int] | None = None,
                 formats: dict[int, str] | None = None) -> None:
        handle, self.path = tempfile.mkstemp(suffix=".xlsx", prefix="portal-export-")
        os.close(handle)
        try:
            self.sheet = SheetStream(self.path, title.translate(TITLE_BAD)[:31] or "Sheet1",
                                     header, widths or [], formats or {}, FORMULA_START)
        except BaseException:
            os.remove(self.path)
            raise

    @property
    def rows(self) -> int:
        return self.sheet.rows - 1  # the header is not a row of data

    def append(self, values: list[Any]) -> None:
        self.sheet.append(values)

    def discard(self) -> None:
        """The file is not wanted after all (the download was cut off, or the rows failed
        half-way): the sheet's open entry is closed before its zip, then the file removed."""
        with contextlib.suppress(Exception):  # already failing: only the file matters now
            self.sheet.sheet.close()
            self.sheet.zip.close()
        if os.path.exists(self.path):
            os.remove(self.path)

    def close(self) -> str:
        """The finished workbook's path: the caller keeps (and removes) the file."""
        self.sheet.close()
        return self.path

    def chunks(self) -> Iterator[bytes]:
        """The finished workbook in chunks; the file is removed once sent (or dropped)."""
        self.sheet.close()
        return file_chunks(self.path, CHUNK)
