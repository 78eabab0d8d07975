"""A one-sheet .xlsx written row by row straight into a zip entry: the list export's writer.

openpyxl's write-only mode builds a Python object and an XML element per cell and wrote
about 1,500 rows of 11 cells a second here (3,000 with lxml): a million rows took over ten
minutes. This writer formats each row as SpreadsheetML text and deflates it into the
temporary file as it comes (memory holds one batch of rows), with the few parts a workbook
needs around it (workbook, styles, content types). The rest of the portal reads and writes
workbooks with openpyxl (the import, the template, reports), and the tests read this one
back with openpyxl.

Cells: numbers as numbers, dates and times as Excel serial numbers with a date format,
money with a ¥ format, text always as an inline string (never a formula), quote-prefixed when
a spreadsheet would read it as one when edited.
"""

from __future__ import annotations

import datetime as dt
import os
import zipfile
from collections.abc import Iterator
from decimal import Decimal
from typing import IO, Any
from xml.sax.saxutils import escape, quoteattr

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter

FLUSH_ROWS = 1000  # rows formatted before they are written to the zip entry
EPOCH = dt.datetime(1899, 12, 30)
NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
REL_NS = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
OFFICE_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
    'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.styles+xml"/></Types>')
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{OFFICE_REL}/officeDocument" Target="xl/workbook.xml"/>'
    '</Relationships>')
BOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{OFFICE_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{OFFICE_REL}/styles" Target="styles.xml"/>'
    '</Relationships>')
# Styles (cellXfs index): the fixed ones, then one per decimal format.
PLAIN, HEADER, DATE, DATETIME, MONEY, QUOTED = range(6)
FIXED_FORMATS = ("yyyy-mm-dd", "yyyy-mm-dd hh:mm:ss", '"¥"#,##0.00')


def _styles(decimals: list[str]) -> str:
    formats = [*FIXED_FORMATS, *decimals]
    numfmts = "".join(f'<numFmt numFmtId="{164 + i}" formatCode={quoteattr(f)}/>'
                      for i, f in enumerate(formats))
    xfs = ['<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>',
           '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>']
    xfs += [f'<xf numFmtId="{164 + i}" fontId="0" fillId="0" borderId="0" xfId="0" '
            'applyNumberFormat="1"/>' for i in range(3)]
    xfs.append('<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" '
               'quotePrefix="1"/>')
    xfs += [f'<xf numFmtId="{167 + i}" fontId="0" fillId="0" borderId="0" xfId="0" '
            'applyNumberFormat="1"/>' for i in range(len(decimals))]
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<styleSheet {NS}><numFmts count="{len(formats)}">{numfmts}</numFmts>'
            '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
            '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
            '<fills count="2"><fill><patternFill patternType="none"/></fill>'
            '<fill><patternFill patternType="gray125"/></fill></fills>'
            '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border>'
            '</borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" '
            f'borderId="0"/></cellStyleXfs><cellXfs count="{len(xfs)}">{"".join(xfs)}'
            '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" '
            'builtinId="0"/></cellStyles></styleSheet>')


def text_xml(text: str) -> str:
    """Text as the content of an XML element: escaped, control characters a sheet cannot
    hold dropped, a carriage return kept (XML would read a bare one as a newline)."""
    if ILLEGAL_CHARACTERS_RE.search(text):
        text = ILLEGAL_CHARACTERS_RE.sub("", text)
    return escape(text).replace("\r", "&#13;")


class SheetStream:
    """Rows appended to the sheet of a zip file at `path`; `close()` finishes the file.
    `decimals` are the number formats of decimal columns ({column index: format})."""

    def __init__(self, path: str, title: str, header: list[str], widths: list[int],
                 decimals: dict[int, str], quoted: tuple[str, ...]) -> None:
        self.zip = zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1)
        formats = sorted(set(decimals.values()))
        self.decimal_style = {i: 6 + formats.index(f) for i, f in decimals.items()}
        self.quoted = quoted
        self.zip.writestr("[Content_Types].xml", CONTENT_TYPES)
        self.zip.writestr("_rels/.rels", ROOT_RELS)
        self.zip.writestr("xl/_rels/workbook.xml.rels", BOOK_RELS)
        self.zip.writestr("xl/styles.xml", _styles(formats))
        self.zip.writestr("xl/workbook.xml", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<workbook {NS} {REL_NS}><bookViews><workbookView/></bookViews><sheets>'
            f'<sheet name={quoteattr(title)} sheetId="1" r:id="rId1"/></sheets></workbook>'))
        self.letters = [get_column_letter(i) for i in range(1, len(header) + 1)]
        self.sheet: IO[bytes] = self.zip.open("xl/worksheets/sheet1.xml", "w",
                                              force_zip64=True)
        cols = "".join(f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>'
                       for i, w in enumerate(widths, 1))
        self.sheet.write((
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<worksheet {NS} {REL_NS}><sheetViews><sheetView workbookViewId="0">'
            '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
            f'</sheetView></sheetViews>{"<cols>" + cols + "</cols>" if cols else ""}'
            '<sheetData>').encode())
        self.rows = 0
        self.pending: list[str] = []
        self._row([(HEADER, name) for name in header])

    def append(self, values: list[Any]) -> None:
        self._row([(None, v) for v in values])

    def _row(self, cells: list[tuple[int | None, Any]]) -> None:
        self.rows += 1
        n = self.rows
        parts = [f'<row r="{n}">']
        for index, (style, value) in enumerate(cells):
            if value is None or value == "":
                continue
            where = f"{self.letters[index]}{n}"
            if isinstance(value, str):
                if style is None and value.startswith(self.quoted):
                    style = QUOTED
                s = f' s="{style}"' if style else ""
                parts.append(f'<c r="{where}"{s} t="inlineStr"><is><t xml:space="preserve">'
                             f'{text_xml(value)}</t></is></c>')
            elif isinstance(value, bool):
                parts.append(f'<c r="{where}" t="b"><v>{int(value)}</v></c>')
            elif isinstance(value, int):
                parts.append(f'<c r="{where}"><v>{value}</v></c>')
            elif isinstance(value, dt.datetime):
                delta = value.replace(tzinfo=None) - EPOCH
                serial = delta.days + delta.seconds / 86400
                parts.append(f'<c r="{where}" s="{DATETIME}"><v>{serial!r}</v></c>')
            elif isinstance(value, dt.date):
                parts.append(f'<c r="{where}" s="{DATE}"><v>{(value - EPOCH.date()).days}'
                             '</v></c>')
            elif isinstance(value, Decimal):
                style = MONEY if type(value).__name__ == "Money" else self.decimal_style.get(
                    index, PLAIN)
                s = f' s="{style}"' if style else ""
                parts.append(f'<c r="{where}"{s}><v>{format(value, "f")}</v></c>')
            elif isinstance(value, float):
                parts.append(f'<c r="{where}"><v>{value!r}</v></c>')
            else:
                parts.append(f'<c r="{where}" t="inlineStr"><is><t xml:space="preserve">'
                             f'{text_xml(str(value))}</t></is></c>')
        parts.append("</row>")
        self.pending.append("".join(parts))
        if len(self.pending) >= FLUSH_ROWS:
            self._flush()

    def _flush(self) -> None:
        self.sheet.write("".join(self.pending).encode())
        self.pending.clear()

    def close(self) -> None:
        self._flush()
        self.sheet.write(b"</sheetData></worksheet>")
        self.sheet.close()
        self.zip.close()


def file_chunks(path: str, size: int) -> Iterator[bytes]:
    """The file in chunks, removed once sent (or when the download is cut off)."""
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(size):
                yield chunk
    finally:
        os.remove(path)
