"""The SQL statements one request runs (a listener on the app's engine)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask


def statements_of(app: Flask, client: Any, url: str) -> tuple[int, list[str]]:
    """(status, statements) of GET `url` through `client`."""
    with app.app_context():
        engine = app.extensions["migrate"].db.engine
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        status = client.get(url).status_code
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    return status, seen
