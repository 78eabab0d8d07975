"""Export then import, for every form of every pack, as XLSX and as CSV: the records come
back with the values they were exported with (every field filled: formula-looking and
multi-line text, money, decimals, dates and times, yes/no, choices, references, users and
sensitive values, exported by an admin who may reveal them)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from app.portal import portal_of
from tests.support.app import PACKS, login
from tests.support.importer import run
from tests.support.transfer import (
    delete_after,
    export,
    last_id,
    move_unique_values,
    seed,
    stored_rows,
)

MOVED = "~old"


@pytest.fixture(scope="module", params=PACKS, ids=lambda p: p or "base")
def seeded(request: pytest.FixtureRequest, make_app: Callable[..., Flask]
           ) -> tuple[Flask, dict[str, list[int]]]:
    """A fresh app of one pack, so that every record a reference names is named once."""
    app = make_app(industry=request.param)
    return app, seed(app)


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_every_form_round_trips(seeded: tuple[Flask, dict[str, list[int]]], fmt: str,
                                tmp_path: Path) -> None:
    app, ids = seeded
    client = app.test_client()
    login(client, "admin")
    for form in portal_of(app).spec.forms:
        original = stored_rows(app, form, ids[form.key])
        assert all(v is not None and v != "" for row in original for v in row.values()), (
            form.key, original)  # every field filled
        path = tmp_path / f"{form.key}.{fmt}"
        path.write_bytes(export(client, form, fmt))
        start = last_id(app, form)
        move_unique_values(app, form, ids[form.key], MOVED)
        try:
            outcome, errors = run(app, path, form=form.key, username="admin")
            assert errors == [] and outcome.stored, (form.key, errors)
            assert outcome.kind == fmt and outcome.rows == len(original)
            # The export lists the newest first: the copies come back in that order.
            copies = list(reversed(stored_rows(app, form, after=start)))
            assert copies == original, form.key
        finally:
            delete_after(app, form, start)
            move_unique_values(app, form, ids[form.key], MOVED)


def test_values_are_exported_as_the_types_excel_sums_and_sorts(
        seeded: tuple[Flask, dict[str, list[int]]]) -> None:
    import datetime as dt
    import io
    from decimal import Decimal

    from openpyxl import load_workbook

    app, ids = seeded
    client = app.test_client()
    login(client, "admin")
    for form in portal_of(app).spec.forms:
        sheet: Any = load_workbook(io.BytesIO(export(client, form, "xlsx"))).active
        header = [c.value for c in sheet[1]]
        for field in form.entered:
            column = header.index(field.label.zh) + 1
            cells = [sheet.cell(row=r, column=column) for r in range(2, 2 + len(ids[form.key]))]
            for cell in cells:
                kind = field.type
                if kind in ("integer", "rating"):
                    assert isinstance(cell.value, int), (form.key, field.key, cell.value)
                elif kind in ("decimal", "money"):
                    assert isinstance(cell.value, int | float | Decimal), (field.key, cell.value)
                    if kind == "money":
                        assert cell.number_format == '"¥"#,##0.00'
                elif kind == "date":
                    assert isinstance(cell.value, dt.datetime) and cell.number_format == \
                        "yyyy-mm-dd"
                elif kind == "datetime":
                    assert isinstance(cell.value, dt.datetime) and cell.number_format == \
                        "yyyy-mm-dd hh:mm:ss"
                elif kind == "boolean":
                    assert cell.value in ("是", "否")
                else:
                    assert cell.data_type == "s", (form.key, field.key, cell.value)
