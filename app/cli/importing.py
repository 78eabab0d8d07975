"""`flask portal import FORM FILE`: records from a CSV or Excel (.xlsx) file (the portal's own
export formats, or its template), every row checked as the REST API checks it, stored all or
nothing and audited."""

from __future__ import annotations

from typing import Any

import click
from flask.cli import ScriptInfo

from app.cli.base import load_app, pass_info


@click.command("import")
@click.argument("form_key", metavar="FORM")
@click.argument("path", metavar="FILE", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True,
              help="Check every row and say what would be imported; store nothing.")
@click.option("--as", "as_user", default=None, metavar="USERNAME",
              help="Owner of the new records and user of the audit event "
                   "(default: PORTAL_ADMIN_USER).")
@pass_info
def import_command(info: ScriptInfo, form_key: str, path: str, dry_run: bool,
                   as_user: str | None) -> None:
    """Import records from FILE (.csv or .xlsx) into FORM, all or nothing (see README)."""
    from app.transfer.importer import ImportRefused, import_file

    app: Any = load_app(info)
    with app.app_context():
        try:
            outcome = import_file(path, form_key, as_user, dry_run=dry_run,
                                 on_error=lambda error: click.echo(str(error), err=True))
        except ImportRefused as exc:
            for problem in exc.problems:
                click.echo(problem, err=True)
            raise click.ClickException("nothing was imported") from None
    label = outcome.form.label.zh
    if outcome.errors:
        raise click.ClickException(
            f"{outcome.errors} error(s) in {outcome.bad_rows} of {outcome.rows} row(s); "
            "nothing was imported")
    if outcome.ignored:
        click.echo(f"ignored columns (the export's own): {', '.join(outcome.ignored)}")
    if dry_run:
        click.echo("columns: " + ", ".join(f"{header} → {f.key}"
                                           for header, f in outcome.columns))
        if outcome.defaults:
            click.echo("defaults for absent columns: " + ", ".join(
                f"{f.label.zh} ({f.key})" for f in outcome.defaults))
        click.echo(f"dry run: {outcome.rows} record(s) would be imported into {label} as "
                   f"{outcome.username}; nothing was stored")
        return
    click.echo(f"imported {outcome.rows} record(s) into {label}")
