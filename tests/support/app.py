"""The apps and databases of the tests: fresh databases (SQLite, or a PostgreSQL schema per
app), ready apps with one user per role, a CSRF-aware login. The fixtures in tests/conftest.py
hand these out.

Set PORTAL_TEST_DATABASE_URL=postgresql://127.0.0.1:5432/test to run the suite on PostgreSQL;
with PORTAL_REQUIRE_POSTGRES=1 (CI) an unreachable server fails the run instead of skipping.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.portal import portal_of

ROOT = Path(__file__).resolve().parents[2]
CONFIG = Path(os.environ.get("PORTAL_TEST_CONFIG", ROOT / "config"))
# The base pack and every shipped industry pack: new packs are covered automatically.
PACKS: tuple[str | None, ...] = (None, *sorted(
    d.name for d in (CONFIG / "industries").glob("*") if (d / "pack.yaml").exists()))
PASSWORD = "Portal-test-pass-2026"
TEAM = "客服一组"
PG_URL = os.environ.get("PORTAL_TEST_DATABASE_URL", "")


def _pg_admin_url() -> str:
    from app.settings import database_url

    return database_url(PG_URL, "")


class Databases:
    """Hands out empty databases: SQLite files, or PostgreSQL schemas dropped at the end."""

    def __init__(self, tmp_root: Path) -> None:
        self.tmp_root = tmp_root
        self.schemas: list[str] = []
        self.apps: list[Flask] = []  # kept alive so their pools close here, not in GC
        self.engine = None
        self.shm: Path | None = None
        if PG_URL:
            from sqlalchemy import create_engine, text

            try:
                self.engine = create_engine(_pg_admin_url(), isolation_level="AUTOCOMMIT")
                with self.engine.connect() as conn:
                    conn.execute(text("select 1"))
            except Exception as exc:  # noqa: BLE001 - any failure means "not usable"
                message = f"PostgreSQL at {PG_URL} is not usable: {exc}"
                if os.environ.get("PORTAL_REQUIRE_POSTGRES"):
                    pytest.exit(message, returncode=3)
                print(message + " — PostgreSQL tests skipped")
                pytest.skip(message, allow_module_level=True)

    def revisions(self, url: str) -> str:
        """The revision-file folder of one database (shared by every app on it)."""
        folder = self.tmp_root / "revisions" / uuid.uuid5(uuid.NAMESPACE_URL, url).hex[:12]
        folder.mkdir(parents=True, exist_ok=True)
        return str(folder)

    def new(self) -> str:
        if self.engine is None:
            folder = self.fast_root() / uuid.uuid4().hex[:8]
            folder.mkdir(parents=True)
            return f"sqlite:///{folder / 'portal.db'}"
        from sqlalchemy import text

        schema = f"t_{uuid.uuid4().hex[:12]}"
        with self.engine.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        self.schemas.append(schema)
        # Test data need no durability: commits do not wait for the WAL flush (FAB's role
        # sync alone commits ~250 times per app).
        return (f"{_pg_admin_url()}?options=-csearch_path%3D{schema}"
                "%20-csynchronous_commit%3Doff")

    def fast_root(self) -> Path:
        """SQLite files in memory-backed /dev/shm when there is one: FAB's role sync commits
        ~250 times per app, each an fsync on disk (1.5 s of a 4 s app build)."""
        if self.shm is None:
            shm = Path("/dev/shm")
            self.shm = Path(tempfile.mkdtemp(prefix="portal-tests-", dir=shm)) if (
                shm.is_dir() and os.access(shm, os.W_OK)) else self.tmp_root
        return self.shm

    def close(self) -> None:
        for app in self.apps:
            with app.app_context():
                app.extensions["migrate"].db.engine.dispose()
        if self.shm is not None and self.shm != self.tmp_root:
            shutil.rmtree(self.shm, ignore_errors=True)
        if self.engine is None:
            return
        from sqlalchemy import text

        with self.engine.connect() as conn:
            for schema in self.schemas:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        self.engine.dispose()


def build_app(databases: Databases, config_dir: Path | str = CONFIG,
              industry: str | None = None, *, setup: bool = True,
              instance: Path | None = None, **overrides: Any) -> Flask:
    """A portal app on a fresh database; with setup, migrated, roles synced, one user per
    role (username = role key, password PASSWORD)."""
    from app import create_app

    settings = {
        "PORTAL_CONFIG_DIR": str(config_dir),
        "PORTAL_INDUSTRY": industry,
        "SQLALCHEMY_DATABASE_URI": databases.new(),
        "SECRET_KEY": "test-secret-" + uuid.uuid4().hex,
        "TESTING": True,
        "SERVER_NAME": "portal.test",
        # The suite signs in hundreds of times from one address: login throttling is
        # exercised with real limits in tests/test_throttle.py and tests/test_security.py.
        "PORTAL_LOGIN_RATE_LIMIT": "10000 per minute",
        "PORTAL_LOGIN_IP_RATE_LIMIT": "10000 per minute",
        # Hundreds of sign-ins: a cheap hash here; production keeps FAB's scrypt default.
        "FAB_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        # Tests run the worker's jobs themselves (app/jobs/worker.py: run_pending).
        "PORTAL_WORKER_THREAD": False,
    }
    if PG_URL:
        # Hundreds of apps live through one run; pooled idle connections would exhaust the
        # server's max_connections (100). Each checkout opens and closes its own.
        from sqlalchemy.pool import NullPool

        settings["SQLALCHEMY_ENGINE_OPTIONS"] = {"poolclass": NullPool}
    settings.update(overrides)
    settings.setdefault("PORTAL_REVISIONS_DIR",
                        databases.revisions(settings["SQLALCHEMY_DATABASE_URI"]))
    app = create_app(settings)
    databases.apps.append(app)
    if setup:
        setup_database(app)
    return app


def setup_database(app: Flask) -> None:
    from app.schema.upgrade import upgrade
    from app.security.permissions import sync_roles

    upgrade(app)
    sync_roles(app)
    with app.app_context():
        sm = app.appbuilder.sm
        for role in portal_of(app).spec.roles:
            if not sm.find_user(username=role.key):
                sm.add_user(role.key, role.key, "test", f"{role.key}@example.com",
                            sm.find_role(role.key), password=PASSWORD)
        # One team of every role's user: records made by `staff` (the factories' default
        # owner) are in scope for staff (own), supervisor (team) and the all-scope roles.
        from app.security.teams import Team

        if not sm.session.query(Team).filter_by(name=TEAM).count():
            users = [sm.find_user(username=r.key)
                     for r in portal_of(app).spec.roles]
            sm.session.add(Team(name=TEAM, members=users))
            sm.session.commit()


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client: FlaskClient, url: str) -> str:
    """The CSRF token from a page's form (tests send it like a browser would)."""
    page = client.get(url)
    match = CSRF_RE.search(page.get_data(as_text=True))
    assert match, f"no csrf_token on {url} (status {page.status_code})"
    return match.group(1)


def login(client: FlaskClient, username: str, password: str = PASSWORD) -> None:
    token = csrf_token(client, "/login/")
    response = client.post("/login/", data={"username": username, "password": password,
                                            "csrf_token": token})
    assert response.status_code == 302, f"login of {username} failed"
    with client.session_transaction() as session:
        assert session.get("_user_id"), f"login of {username} did not start a session"


def user_id(app: Flask, username: str) -> int:
    """The id of a user the test app knows by name."""
    with app.app_context():
        return int(app.appbuilder.sm.find_user(username=username).id)
