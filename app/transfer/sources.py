"""The file of an import, CSV or Excel: rows of cell texts, as the row checker reads them.

`open_source(path)` tells the two apart by content (an .xlsx is a zip: b"PK\\x03\\x04"), so a
file's name never decides. Both stream: a CSV is decoded as it is parsed, a workbook is read
with openpyxl's read-only reader, one row at a time whatever size its sheet claims to be.
Excel's typed cells become the texts a CSV export writes (2026-01-15, 12 not 12.0, 是/否);
a formula cell is refused where it is (an import stores values, and the value Excel last
computed may be stale or absent), while text that merely starts with "=" (a string cell, as
the XLSX export writes it) is kept as text.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import zipfile
from collections.abc import Generator
from typing import Any, Protocol

from flask_babel import gettext as _
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from app.fieldtypes.spreadsheet import from_csv_cell

ENCODINGS = ("utf-8-sig", "gb18030")  # Chinese Excel saves "CSV (逗号分隔)" as GB18030/GBK
ZIP = b"PK\x03\x04"
OLE = b"\xd0\xcf\x11\xe0"  # an encrypted workbook, or an old .xls


class ImportRefused(Exception):
    """The whole file is refused (form, user, encoding, header): one line per problem, in
    the language of the moment (import_file's locale; English outside an app context)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class RefusedCell(str):
    """A cell that holds no value to import (a formula, an error); its text is what the
    sheet shows, `problem` says why it is refused."""

    problem: str

    def __new__(cls, text: str, problem: str) -> RefusedCell:
        cell = super().__new__(cls, text)
        cell.problem = problem
        return cell


class Source(Protocol):
    path: str
    kind: str  # "csv" or "xlsx"

    def records(self) -> Generator[tuple[int, list[str]], None, None]: ...

    @property
    def sha256(self) -> str: ...


def open_source(path: str) -> Source:
    """The CSV or XLSX reader of `path`, by its first bytes."""
    with open(path, "rb") as fh:
        start = fh.read(4)
    if start == ZIP:
        return XlsxFile(path)
    if start == OLE:
        raise ImportRefused([_("%(file)s: an encrypted workbook or an old Excel 97-2003 "
                               "(.xls) file; save it as .xlsx without a password, or as CSV "
                               "UTF-8", file=path)])
    return CsvFile(path)


# -- CSV -----------------------------------------------------------------------------------
def detect_encoding(path: str) -> str:
    """UTF-8 (with or without BOM) if the whole file decodes as such, else GB18030."""
    with open(path, "rb") as fh:
        start = fh.read(4)
    if start == ZIP:
        raise ImportRefused([_("%(file)s: an Excel workbook, not CSV; save it as \"CSV "
                               "UTF-8\"", file=path)])
    if start[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        raise ImportRefused([_("%(file)s: UTF-16 text (Excel's \"Unicode text\"); save it "
                               "as \"CSV UTF-8\"", file=path)])
    for encoding in ENCODINGS:
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with open(path, "rb") as fh:
                while chunk := fh.read(1 << 20):
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    raise ImportRefused([_("%(file)s: neither UTF-8 nor GB18030 text; save it as CSV",
                           file=path)])


class _Hashing(io.RawIOBase):
    """A binary file that hashes every byte read from it."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw
        self.sha = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = self.raw.readinto(buffer)
        self.sha.update(memoryview(buffer)[:n])
        return int(n)


class CsvFile:
    """Streams (row number, cells); the sha256 covers exactly the bytes that were parsed."""

    kind = "csv"

    def __init__(self, path: str) -> None:
        self.path = path
        self.encoding = detect_encoding(path)
        self._hashing: _Hashing | None = None

    def records(self) -> Generator[tuple[int, list[str]], None, None]:
        row = 0
        with open(self.path, "rb") as raw:
            self._hashing = _Hashing(raw)
            text = io.TextIOWrapper(io.BufferedReader(self._hashing), self.encoding,
                                    newline="")
            try:
                for row, cells in enumerate(csv.reader(text), 1):
                    # What the export neutralised ('=…, '+…, '-…, '@…) is read back as it was.
                    yield row, [from_csv_cell(cell) for cell in cells]
            except csv.Error as exc:
                raise ImportRefused([_("%(file)s:%(row)d: not readable as CSV (%(error)s)",
                                       file=self.path, row=row + 1, error=exc)]) from None
            except UnicodeDecodeError:
                raise ImportRefused([_("%(file)s: the file changed while it was being read",
                                       file=self.path)]) from None

    @property
    def sha256(self) -> str:
        return self._hashing.sha.hexdigest() if self._hashing else ""


# -- XLSX ----------------------------------------------------------------------------------
def file_sha256(path: str) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            sha.update(chunk)
    return sha.hexdigest()


def number_text(value: int | float) -> str:
    """12 for 12.0, 1234.5 for 1234.5 (the shortest text of the float, never 1234.499…)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return repr(value) if isinstance(value, float) else str(value)


def cell_text(cell: Any) -> str:
    """One cell of a read-only sheet as the text a CSV export would hold."""
    value = cell.value
    if value is None:
        return ""
    kind = getattr(cell, "data_type", "s")
    if kind == "f":
        return RefusedCell(str(value), _("a formula (%(formula)s), not a value; enter the "
                                         "value", formula=value))
    if kind == "e":
        return RefusedCell(str(value), _("an error value (%(error)s), not a value; enter "
                                         "the value", error=value))
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dt.datetime):
        if value.microsecond:  # a time kept as a fraction of a day: to the nearest second
            value = (value + dt.timedelta(microseconds=500_000)).replace(microsecond=0)
        if value.time() == dt.time():  # a date (a date and time field takes its midnight)
            return value.date().isoformat()
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M:%S")
    if isinstance(value, int | float):
        return number_text(value)
    return str(value)


class XlsxFile:
    """Streams (row number, cells) of the workbook's first sheet."""

    kind = "xlsx"

    def __init__(self, path: str) -> None:
        self.path = path
        self._sha = ""

    def records(self) -> Generator[tuple[int, list[str]], None, None]:
        self._sha = file_sha256(self.path)
        try:
            book = load_workbook(self.path, read_only=True, data_only=False)
        except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError,
                TypeError, EOFError, SyntaxError) as exc:  # SyntaxError: XML ParseError
            raise ImportRefused([_("%(file)s: not a readable Excel workbook (%(error)s); save "
                                   "it again as .xlsx, or as CSV UTF-8", file=self.path,
                                   error=exc)]) from None
        try:
            sheets = [ws for ws in book.worksheets if ws.sheet_state == "visible"]
            if not sheets:
                raise ImportRefused([_("%(file)s: the workbook has no visible sheet",
                                       file=self.path)])
            sheet: Any = sheets[0]
            # Cells as they are stored: a sheet claiming A1:XFD1048576 is not padded out.
            sheet.reset_dimensions()
            try:
                for row, cells in enumerate(sheet.iter_rows(), 1):
                    yield row, [cell_text(c) for c in cells]
            except (zipfile.BadZipFile, KeyError, ValueError, TypeError, EOFError,
                    OSError, SyntaxError) as exc:
                raise ImportRefused([_("%(file)s: the sheet cannot be read (%(error)s); save "
                                       "it again as .xlsx, or as CSV UTF-8", file=self.path,
                                       error=exc)]) from None
        finally:
            book.close()

    @property
    def sha256(self) -> str:
        return self._sha
