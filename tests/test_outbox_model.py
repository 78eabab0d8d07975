"""The outbox table (app/outbox/model.py): revision 0008 creates what the model declares."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from app.outbox.model import OutboxMessage


def test_revision_0008_creates_the_outbox_table_the_model_declares(app):
    mine = sa.MetaData()
    OutboxMessage.__table__.to_metadata(mine)
    with app.app_context(), app.extensions["migrate"].db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={
            "compare_type": True,
            "include_name": lambda name, kind, _parent: kind != "table" or name in mine.tables})
        assert compare_metadata(context, mine) == []
