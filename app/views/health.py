"""/health and /ready for load balancers and orchestrators: answered without signing in,
never audited, cheap, and saying nothing a stranger could use.

- /health: the process is up and answers (no database access);
- /ready: the database answers, its schema matches this process's configuration (the
  production start-up guard's check, app/schema/drift.py), and Redis answers when REDIS_URL
  is set. 503 with the failing checks named otherwise, so a balancer stops sending traffic
  to a server started on the wrong YAML or cut off from its database.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from app.schema.drift import blocks_serving
from app.schema.upgrade import current_plan

health = Blueprint("health", __name__)
SCHEMA_DRIFT = "does not match the configuration: run 'flask portal migrate'"


@health.get("/health")
def alive() -> Response:
    return jsonify(status="ok")


@health.get("/ready")
def ready() -> tuple[Response, int]:
    checks: dict[str, str] = {"database": _database()}
    if checks["database"] == "ok":
        checks["schema"] = _schema()
    if current_app.config.get("REDIS_URL"):
        checks["redis"] = _redis(current_app.config["REDIS_URL"])
    ok = all(value == "ok" for value in checks.values())
    return jsonify(status="ready" if ok else "not ready", checks=checks), 200 if ok else 503


def _database() -> str:
    try:
        with _engine().connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return "unreachable"
    return "ok"


def _schema() -> str:
    try:
        plan = current_plan(current_app._get_current_object())  # type: ignore[attr-defined]
    except SQLAlchemyError:
        return "unreadable"
    return SCHEMA_DRIFT if blocks_serving(plan) else "ok"


def _redis(url: str) -> str:
    import redis

    try:
        client: Any = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        client.ping()
    except (redis.RedisError, OSError, ValueError):
        return "unreachable"
    return "ok"


def _engine() -> Any:
    return current_app.extensions["migrate"].db.engine


def register_health(app: Flask) -> None:
    app.register_blueprint(health)
