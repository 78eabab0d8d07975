"""Alembic environment: runs inside the Flask app; owns every table except form_* tables."""

import logging

from alembic import context
from flask import current_app

logger = logging.getLogger("alembic.env")
config = context.config
target_db = current_app.extensions["migrate"].db


def include_name(name, type_, parent_names):
    """Form tables (form_*) follow the YAML and are managed by `flask portal db upgrade`."""
    if type_ == "table":
        return not (name or "").startswith("form_")
    return True


def run_migrations_online():
    from app.schema.apply import migration_transaction

    # One transaction for every pending revision (SQLite: foreign keys off around it, every
    # reference checked before the commit); begin_transaction() below joins it.
    with migration_transaction(target_db.engine) as connection:
        context.configure(
            connection=connection,
            target_metadata=target_db.metadata,
            include_name=include_name,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline mode is not supported; run against a database")
run_migrations_online()
