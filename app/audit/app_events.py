"""Events the app records outside a request: a migration, the configuration it serves."""

from __future__ import annotations

import os

from flask import Flask

from app.audit import log as audit
from app.config.load import config_hash
from app.portal import portal_of


def record_now(app: Flask, action: str, details: dict) -> None:
    with app.app_context():
        session = app.extensions["appbuilder"].session
        audit.record(session, action, details=details)
        session.commit()


def record_config_loaded(app: Flask, via: str) -> None:
    """The start-up event: which configuration this process serves (the merged config's
    hash, as `flask portal config show` prints it)."""
    spec = portal_of(app).spec
    record_now(app, "config_loaded", {
        "hash": config_hash(spec),
        "fingerprint": spec.fingerprint, "industry": spec.industry, "forms": len(spec.forms),
        "roles": len(spec.roles), "via": via, "pid": os.getpid()})
