"""`flask portal check` and `flask portal config show`: the configuration as it will run."""

from __future__ import annotations

import os
import sys

import click
from flask.cli import ScriptInfo

from app.cli.base import load_app, pass_info
from app.config.errors import ConfigError
from app.paths import ROOT
from app.portal import portal_of


@click.command("check")
@click.option("--config-dir", default=None, help="Config folder (default: PORTAL_CONFIG_DIR).")
@click.option("--industry", default=None, help="Industry pack (default: PORTAL_INDUSTRY).")
def check(config_dir: str | None, industry: str | None) -> None:
    """Validate every YAML file and the merged config; list all problems."""
    from app.config.load import load_spec

    config_dir = config_dir or os.environ.get("PORTAL_CONFIG_DIR") or os.path.join(
        ROOT, "config")
    industry = industry if industry is not None else os.environ.get("PORTAL_INDUSTRY")
    try:
        spec = load_spec(config_dir, industry or None)
    except ConfigError as exc:
        click.echo(exc.report(), err=True)
        sys.exit(1)
    fields = sum(len(f.fields) for f in spec.forms)
    click.echo(f"OK: {len(spec.forms)} forms, {fields} fields, {len(spec.roles)} roles "
               f"(industry: {spec.industry or 'base pack only'}).")
    for hook in spec.webhooks:  # read when a delivery is sent: a warning, never an error
        missing = [n for n in (hook.url_env, hook.secret_env) if n and not os.environ.get(n)]
        if hook.enabled and missing:
            click.echo(f"warning: webhook '{hook.key}': environment variable "
                       f"{', '.join(missing)} is not set here; its deliveries fail until it "
                       "is set on the servers", err=True)
    for rule in spec.notifications:  # likewise a notification rule's robot
        missing = [n for n in (rule.robot_url_env, rule.robot_secret_env)
                   if n and not os.environ.get(n)]
        if rule.enabled and missing:
            click.echo(f"warning: notification rule '{rule.key}': environment variable "
                       f"{', '.join(missing)} is not set here; its robot messages fail until "
                       "it is set on the servers", err=True)


@click.group("config")
def config_group() -> None:
    """Inspect the merged configuration."""


@config_group.command("show")
@pass_info
def config_show(info: ScriptInfo) -> None:
    """Print the merged config (base + active industry pack) that will run."""
    from app.config.dump import dump

    app = load_app(info)
    click.echo(dump(portal_of(app).spec), nl=False)
