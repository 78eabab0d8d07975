"""`flask portal audit verify | archive`: check the hash chain (table and archive files),
and move the oldest events to an archive file."""

from __future__ import annotations

import datetime as dt
import sys
from typing import Any

import click
from flask import current_app
from flask.cli import ScriptInfo

from app.audit import archive as audit_archive
from app.audit import log as audit
from app.cli.base import load_app, pass_info


@click.group("audit")
def audit_group() -> None:
    """The audit log."""


@audit_group.command("verify")
@click.option("--archive", "archives", multiple=True, metavar="FILE",
              type=click.Path(exists=True, dir_okay=False),
              help="An archive file from 'audit archive' (repeatable, oldest first).")
@pass_info
def audit_verify(info: ScriptInfo, archives: tuple[str, ...]) -> None:
    """Check every event's hash and link; exit 1 at the first broken one."""

    app: Any = load_app(info)
    with app.app_context():
        engine = current_app.extensions["appbuilder"].session.get_bind()
        with engine.connect() as conn:
            try:
                verdict = (audit_archive.verify_files(conn, archives) if archives
                           else audit.verify(conn))
            except OSError as exc:
                raise click.ClickException(f"cannot read {exc.filename}: {exc.strerror}"
                                           ) from None
    click.echo(verdict.text())
    if not verdict.ok:
        sys.exit(1)


@audit_group.command("archive")
@click.option("--before", required=True, type=click.DateTime(formats=["%Y-%m-%d"]),
              metavar="YYYY-MM-DD", help="Archive the events dated before this day.")
@click.option("--to", "path", required=True, metavar="FILE",
              type=click.Path(dir_okay=False),
              help="The archive file to write (JSON Lines); never overwritten.")
@click.option("--yes", is_flag=True, help="Do not ask; for scripts.")
@pass_info
def audit_archive_command(info: ScriptInfo, before: dt.datetime, path: str,
                          yes: bool) -> None:
    """Move the oldest events (before a day) to a file and delete them from the table; the
    chain still verifies with the file (audit verify --archive FILE)."""

    app: Any = load_app(info)
    day = f"{before:%Y-%m-%d}"
    with app.app_context():
        engine = current_app.extensions["appbuilder"].session.get_bind()
        try:
            audit_archive.check_target(path)
            prefix = None
            if not yes:  # ask before taking the lock: writers never wait for a person
                with engine.connect() as conn:
                    prefix = audit_archive.oldest(conn, before)
                if prefix is not None:
                    click.echo(f"This moves {prefix.count} event(s) (seq {prefix.from_seq}–"
                               f"{prefix.through_seq}, before {day}) to {path} and deletes "
                               "them from the table.")
                    if not sys.stdin.isatty() or not click.confirm("Archive them?"):
                        raise click.ClickException("not confirmed; nothing was changed "
                                                   "(--yes in scripts)")
            done = (audit_archive.archive(engine, before, path)
                    if yes or prefix is not None else None)
        except audit_archive.ArchiveError as exc:
            raise click.ClickException(str(exc)) from None
    if done is None:
        click.echo(f"nothing to archive: the oldest audit event is not before {day}")
    else:
        click.echo(done.text())
