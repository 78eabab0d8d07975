"""CSV cells a spreadsheet will not run as formulas, and back: the one rule of every export
(list screens, audit log, purge) and of the import that reads exports back.

Excel, LibreOffice and Google Sheets read a cell starting with = + - @ (or a tab or carriage
return before one) as a formula: a customer name `=HYPERLINK("http://evil")` or a User-Agent
header became a live link or command in the auditor's spreadsheet. Such text gets a leading
single quote (OWASP's advice), which spreadsheets show as text. Numbers are not text: the
caller passes them as int or Decimal and -2 stays -2.

So that every value survives an export and an import exactly, text that already starts with
quotes before one of those characters gets one more, and `from_csv_cell` takes one away.
"""

from __future__ import annotations

import re
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NEUTRALISED = re.compile(r"'+[=+\-@\t\r]")  # what to_csv_cell writes for formula text


def to_csv_cell(value: Any) -> Any:
    """A cell for csv.writer: text that a spreadsheet would read as a formula (or that looks
    like such text already neutralised) behind one more single quote; anything else as is."""
    if isinstance(value, str) and value.lstrip("'").startswith(FORMULA_START):
        return "'" + value
    return value


def from_csv_cell(text: str) -> str:
    """The text an export wrote with to_csv_cell, as it was stored."""
    return text[1:] if _NEUTRALISED.match(text) else text
