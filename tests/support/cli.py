"""`flask ...` run in-process against a test app, with the lookup of the `flask` script itself:
plugin groups such as FAB's `fab` (an entry point, not on app.cli) first, then app.cli."""

from __future__ import annotations

import os
from unittest import mock

from click.testing import Result
from flask import Flask
from flask.cli import FlaskGroup, ScriptInfo


def run_flask(app: Flask, *args: str) -> Result:
    """`flask ARGS...` on this app: no .env files, the app's debug flag left alone."""
    info = ScriptInfo(create_app=lambda: app, set_debug_flag=False, load_dotenv_defaults=False)
    group = FlaskGroup(create_app=lambda: app, load_dotenv=False, set_debug_flag=False)
    with mock.patch.dict(os.environ):  # FlaskGroup sets FLASK_RUN_FROM_CLI
        return app.test_cli_runner().invoke(group, list(args), obj=info)
