"""What every `flask portal` command shares: the app, loaded once with readable errors."""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import ScriptInfo

from app.config.errors import ConfigError
from app.security.manager import StartupRefused

pass_info = click.make_pass_decorator(ScriptInfo, ensure=True)


def load_app(info: ScriptInfo) -> Flask:
    """The app, or one readable screen of config problems (never a traceback)."""
    if info.create_app is None and not info.app_import_path:
        # Flask's own discovery would import wsgi.py, the production entry point, which
        # refuses to start on a database that needs `flask portal migrate`. Named, not
        # imported: the factory itself imports this package's commands.
        info.app_import_path = "app:create_app"
    try:
        return info.load_app()
    except (ConfigError, StartupRefused) as exc:
        click.echo(exc.report(), err=True)
        sys.exit(1)
