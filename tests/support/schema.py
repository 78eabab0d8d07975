"""Editing a config folder in the schema tests (one exact text replaced, text appended) and
reading back every stored value of every form table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa


def replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} not found once in {path.name}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def live_rows(app: Any) -> dict[str, dict[int, dict[str, Any]]]:
    """Every stored value of every form table, by table, id and column (raw, as stored)."""
    with app.app_context():
        engine = app.appbuilder.session.get_bind()
        metadata = sa.MetaData()
        metadata.reflect(engine, only=lambda name, _m: name.startswith("form_"))
        with engine.connect() as conn:
            return {name: {row["id"]: dict(row) for row in
                           conn.execute(sa.select(table)).mappings()}
                    for name, table in metadata.tables.items() if name.startswith("form_")}
