"""Pytest hooks and fixtures: apps on a fresh database (SQLite, or a PostgreSQL schema per
app), users per role, a signed-in client. The helpers behind them are in tests/support/app.py.

Set PORTAL_TEST_DATABASE_URL=postgresql://127.0.0.1:5432/test to run the suite on PostgreSQL;
with PORTAL_REQUIRE_POSTGRES=1 (CI) an unreachable server fails the run instead of skipping.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.portal import portal_of
from tests.support.app import CONFIG, PACKS, PG_URL, Databases, _pg_admin_url, build_app, login

# Apps a test builds itself (create_app) and portals it starts get no worker thread unless
# the test asks for one: tests run jobs with run_pending, and a forgotten thread would poll
# a database the session has already removed.
os.environ["PORTAL_WORKER_THREAD"] = "0"


def pytest_sessionstart(session: Any) -> None:
    """In CI (PORTAL_REQUIRE_POSTGRES) an unusable PostgreSQL fails the run at once."""
    if PG_URL and os.environ.get("PORTAL_REQUIRE_POSTGRES"):
        from sqlalchemy import create_engine, text

        engine = create_engine(_pg_admin_url())
        try:
            with engine.connect() as conn:
                conn.execute(text("select 1"))
        except Exception as exc:  # noqa: BLE001 - any failure means "not usable"
            pytest.exit(f"PostgreSQL at {PG_URL} is not usable: {exc}", returncode=3)
        finally:
            engine.dispose()


def pytest_report_header(config: Any) -> str:
    return f"portal database: {'PostgreSQL ' + PG_URL if PG_URL else 'SQLite (per-test file)'}"


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    dbs = Databases(tmp_path_factory.mktemp("db"))
    yield dbs
    dbs.close()


@pytest.fixture(scope="session")
def make_app(databases: Databases) -> Callable[..., Flask]:
    """Factory: make_app(config_dir=..., industry=..., setup=True, **settings)."""
    def make(config_dir: Path | str = CONFIG, industry: str | None = None, **kw: Any) -> Flask:
        return build_app(databases, config_dir, industry, **kw)
    return make


@pytest.fixture(scope="session")
def pack_apps(make_app: Callable[..., Flask]) -> dict[str | None, Flask]:
    """One ready app per shipped pack (base, cosmetics, education), shared by the session."""
    return {pack: make_app(industry=pack) for pack in PACKS}


@pytest.fixture(scope="session")
def app(pack_apps: dict[str | None, Flask]) -> Flask:
    return pack_apps[None]


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def login_as(client: FlaskClient) -> Callable[[str], FlaskClient]:
    def do(username: str) -> FlaskClient:
        login(client, username)
        return client
    return do


@pytest.fixture
def story(make_app, tmp_path: Path):
    """A migrated database with 60 customers and 90 complaints, and its config folder."""
    import shutil

    from app.schema.upgrade import upgrade
    from tests.support.factories import bulk_records

    cfg = tmp_path / "config"
    shutil.copytree(CONFIG, cfg, ignore=shutil.ignore_patterns("industries"))
    app = make_app(cfg)
    spec = portal_of(app).spec
    bulk_records(app, spec.form("customer"), 60,
                 company=lambda i: None if i % 4 == 0 else f"公司{i % 7}")
    bulk_records(app, spec.form("complaint"), 90)

    def plan_after(edit) -> tuple:
        edit(cfg)
        stepped = make_app(cfg, setup=False,
                           SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"])
        return stepped, upgrade(stepped, allow_risky=True)
    return app, cfg, plan_after
