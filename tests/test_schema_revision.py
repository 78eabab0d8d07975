"""Schema plans as revision files: reviewable, replay-safe, tied to their database."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.schema.revision import RevisionsMissing, upgrade_heads, write_revision
from app.schema.upgrade import upgrade
from tests.support.schema import replace


def test_a_revision_that_no_longer_matches_the_database_is_refused(story, make_app) -> None:
    app, cfg, _plan_after = story
    replace(cfg / "forms/customer.yaml", "  - key: phone\n",
            "  - key: mobile\n    renamed_from: phone\n")
    replace(cfg / "roles.yaml", "customer.phone", "customer.mobile")
    stepped = make_app(cfg, setup=False,
                       SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"])
    _, path = write_revision(stepped, "customer (form_customer, 60 rows)\n"
                             "  ~ something else entirely\n1 change", "someone")
    with pytest.raises(RuntimeError, match="no longer matches the database"):
        upgrade_heads(stepped)
    with stepped.app_context():
        columns = {c["name"] for c in sa.inspect(stepped.extensions["migrate"].db.engine)
                   .get_columns("form_customer")}
    assert "phone" in columns and "mobile" not in columns  # nothing applied
    Path(path).unlink()
    assert upgrade(stepped, allow_risky=True).applied


def test_a_database_without_its_revision_files_gets_a_clear_error(story, make_app,
                                                                  tmp_path) -> None:
    app, cfg, _plan_after = story
    moved = make_app(cfg, setup=False,
                     SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                     PORTAL_REVISIONS_DIR=str(tmp_path / "elsewhere"))
    with pytest.raises(RevisionsMissing, match="restore that folder together with the "
                                               "database"):
        upgrade(moved)
    shutil.copytree(app.config["PORTAL_REVISIONS_DIR"], tmp_path / "elsewhere",
                    dirs_exist_ok=True)
    assert upgrade(moved).reason == "nothing to do"
