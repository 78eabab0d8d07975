"""Schema plans as reviewable Alembic revision files.

Each applied plan becomes a revision file in the installation's revisions folder
(PORTAL_REVISIONS_DIR, default instance/migrations/), on the Alembic branch 'forms' beside the
portal's own tree in migrations/versions/. The file holds the plan text; applying it re-plans
against the live database and refuses unless the plan is still exactly that text, so a file
can never apply something other than what was reviewed.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Callable
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from flask import Flask, current_app

from app.portal import portal_of
from app.schema.apply import apply_plan
from app.schema.plan import make_plan

PREFIX = "form_"
PROGRESS = "portal_progress"  # Alembic config attribute: where a plan reports its steps
Progress = Callable[[str], Any]
TEMPLATE = '''"""{title}

{plan}
"""
# Written by `flask portal migrate` for {applied_by} at {when}. Applying it re-plans against
# the live database and refuses unless the plan is still exactly the text above.
from app.schema.revision import apply_revision

revision = {revision!r}
down_revision = {down!r}
branch_labels = {labels!r}
depends_on = {depends!r}

PLAN = {plan!r}


def upgrade():
    apply_revision(revision, PLAN, {applied_by!r})


def downgrade():
    raise NotImplementedError("schema plans go forward only; retire a field instead")
'''


def revisions_dir(app: Flask) -> str:
    return app.config.get("PORTAL_REVISIONS_DIR") or os.path.join(app.instance_path,
                                                                   "migrations")


def alembic_config(app: Flask) -> Config:
    """Flask-Migrate's config for migrations/, plus the installation's revisions folder."""
    config = app.extensions["migrate"].migrate.get_config()
    folder = revisions_dir(app)
    os.makedirs(folder, exist_ok=True)
    versions = os.path.join(config.get_main_option("script_location") or "", "versions")
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", os.pathsep.join([versions, folder]))
    return config


class RevisionsMissing(Exception):
    """The database records a schema revision whose file is not in the revisions folder."""


def upgrade_heads(app: Flask, progress: Progress | None = None) -> None:
    """Apply every pending revision: the portal's own and any written plan (which reports
    each step to `progress`)."""
    with app.app_context():
        config = alembic_config(app)
        config.attributes[PROGRESS] = progress
        try:
            command.upgrade(config, "heads")
        except CommandError as exc:
            if "Can't locate revision" not in str(exc):
                raise
            raise RevisionsMissing(
                f"{exc}: the database was migrated with revision files that are not in "
                f"{revisions_dir(app)}; restore that folder together with the database (or "
                "point PORTAL_REVISIONS_DIR at it)") from None


def write_revision(app: Flask, plan_text: str, applied_by: str) -> tuple[str, str]:
    """The revision file for a plan; returns (revision id, path)."""
    with app.app_context():
        script = ScriptDirectory.from_config(alembic_config(app))
    heads = [r for r in script.get_heads() if r.startswith(PREFIX)]
    now = dt.datetime.now()
    revision = f"{PREFIX}{now:%Y%m%d%H%M%S}_{uuid.uuid4().hex[:6]}"
    title = plan_text.splitlines()[0] if plan_text else "schema plan"
    text = TEMPLATE.format(
        title=f"Schema plan {revision}: {title}", plan=plan_text.replace('"""', "'''"),
        applied_by=applied_by, when=f"{now:%Y-%m-%d %H:%M:%S}", revision=revision,
        down=heads[0] if heads else None, labels=None if heads else ("forms",),
        depends=None if heads else "0002")
    path = os.path.join(revisions_dir(app), f"{revision}.py")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
    return revision, path


def apply_revision(revision: str, plan_text: str, applied_by: str) -> None:
    """Body of every written revision: re-plan, compare, apply (inside Alembic's transaction)."""
    from alembic import context, op  # proxies, valid only while Alembic runs

    conn = op.get_bind()
    portal = portal_of(current_app)
    plan = make_plan(conn, portal.spec, portal.models)
    if plan.text() != plan_text:
        raise RuntimeError(f"revision {revision} no longer matches the database; its plan was:"
                           f"\n{plan_text}\nthe plan now is:\n{plan.text()}\n"
                           "delete the file and run 'flask portal migrate' again")
    progress = context.config.attributes.get(PROGRESS) or (lambda _m: None)
    apply_plan(conn, plan, portal.models, applied_by, progress, revision)
