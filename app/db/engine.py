"""Engine set-up shared by every database the portal opens."""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import Engine, event

_FK_LISTENER = False


def enable_sqlite_foreign_keys() -> None:
    """SQLite ignores foreign keys unless asked on every connection."""
    global _FK_LISTENER
    if _FK_LISTENER:
        return

    @event.listens_for(Engine, "connect")
    def _pragma(dbapi_conn: Any, _record: Any) -> None:
        if isinstance(dbapi_conn, sqlite3.Connection):
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

    _FK_LISTENER = True
