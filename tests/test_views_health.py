"""/health and /ready (app/views/health.py): no sign-in, no audit event, the real checks."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask

from app.audit.log import AuditEvent
from app.schema.upgrade import upgrade
from tests.support.app import CONFIG


def audit_count(app: Flask) -> int:
    with app.app_context():
        return int(app.appbuilder.session.scalar(sa.select(sa.func.count(AuditEvent.seq))))


def test_health_answers_without_a_session_and_is_not_audited(app: Flask) -> None:
    before = audit_count(app)
    response = app.test_client().get("/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"
    assert audit_count(app) == before


def test_ready_checks_the_database_and_the_schema(app: Flask) -> None:
    before = audit_count(app)
    response = app.test_client().get("/ready")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ready",
                                   "checks": {"database": "ok", "schema": "ok"}}
    assert audit_count(app) == before


def test_ready_fails_while_the_schema_does_not_match_the_yaml(make_app: Any,
                                                            tmp_path: Path) -> None:
    """A server started on a YAML the database was not migrated to must get no traffic;
    once migrated it is ready."""
    config = tmp_path / "config"
    shutil.copytree(CONFIG, config)
    url = make_app(config).config["SQLALCHEMY_DATABASE_URI"]
    customer = config / "forms" / "customer.yaml"
    customer.write_text(customer.read_text(encoding="utf-8")
                        + "  - key: wechat\n    label: 微信号\n", encoding="utf-8")
    edited = make_app(config, setup=False, SQLALCHEMY_DATABASE_URI=url)
    response = edited.test_client().get("/ready")
    assert response.status_code == 503
    assert response.get_json() == {"status": "not ready", "checks": {
        "database": "ok",
        "schema": "does not match the configuration: run 'flask portal migrate'"}}
    assert upgrade(edited).applied
    assert edited.test_client().get("/ready").status_code == 200


def test_ready_fails_when_the_database_does_not_answer(make_app: Any, tmp_path) -> None:
    app = make_app(setup=False, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/no/such/dir.db")
    response = app.test_client().get("/ready")
    assert response.status_code == 503
    assert response.get_json() == {"status": "not ready", "checks": {"database": "unreachable"}}


def test_ready_checks_redis_when_it_is_configured(make_app: Any) -> None:
    """Port 9 (discard) on loopback: nothing answers there."""
    app = make_app(REDIS_URL="redis://127.0.0.1:9/0")
    response = app.test_client().get("/ready")
    assert response.status_code == 503
    assert response.get_json()["checks"] == {"database": "ok", "schema": "ok",
                                             "redis": "unreachable"}
