"""`flask portal audit archive` and `verify --archive`: what an operator sees, exit codes,
and refusals that change nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import Result
from flask import Flask

from tests.support.factories import audit_events, day


@pytest.fixture
def history(make_app: Callable[..., Flask]) -> Flask:
    """Set-up events today, 3 events a day ahead, 2 events three days ahead."""
    app = make_app()
    audit_events(app, 1, 3)
    audit_events(app, 3, 2)
    return app


def _run(app: Flask, *args: str) -> Result:
    return app.test_cli_runner().invoke(args=["portal", "audit", *args])


def _seqs(app: Flask) -> list[int]:
    with app.app_context():
        return list(app.appbuilder.session.execute(sa.text(
            "select seq from portal_audit_event order by seq")).scalars())


def test_archive_then_verify_with_and_without_the_file(history: Flask, tmp_path: Path) -> None:
    seqs = _seqs(history)
    path = tmp_path / "audit-1.jsonl"
    result = _run(history, "archive", "--before", f"{day(2):%Y-%m-%d}", "--to", str(path), "--yes")
    assert result.exit_code == 0, result.output
    header = json.loads(path.read_text(encoding="utf-8").splitlines()[0])
    n = header["count"]
    assert n == len(seqs) - 2 and header["through_seq"] == n
    assert result.output == (f"archived {n} event(s) (seq 1–{n}) to {path}; boundary hash "
                             f"{header['boundary_hash']}\n")
    assert _seqs(history) == [*seqs[n:], seqs[-1] + 1]  # the rest, and the archive event
    plain = _run(history, "verify")
    assert (plain.exit_code, plain.output) == (0, (
        f"audit chain intact: 3 event(s) verified (events 1–{n} are archived and were not "
        "checked: pass --archive FILE to check them)\n"))
    full = _run(history, "verify", "--archive", str(path))
    assert (full.exit_code, full.output) == (0, (
        f"audit chain intact: 3 event(s) verified ({n} archived event(s) in 1 file(s) "
        "verified)\n"))


def test_verify_names_a_tampered_archive_and_rows_deleted_after_it(history: Flask,
                                                                   tmp_path: Path) -> None:
    path = tmp_path / "audit-1.jsonl"
    _run(history, "archive", "--before", f"{day(2):%Y-%m-%d}", "--to", str(path), "--yes")
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    edited = json.loads(lines[2])
    edited["outcome"] = "denied"
    path.write_text("".join([*lines[:2], json.dumps(edited, ensure_ascii=False) + "\n",
                             *lines[3:]]), encoding="utf-8")
    bad = _run(history, "verify", "--archive", str(path))
    assert (bad.exit_code, bad.output) == (1, (
        "audit chain BROKEN at archive audit-1.jsonl line 3 (seq 2): content does not match "
        "its hash (the line was edited) (1 verified before)\n"))
    n = len(lines) - 1
    with history.app_context():
        session = history.appbuilder.session
        first = session.execute(sa.text("select id from portal_audit_event where seq = :s"),
                                {"s": n + 2}).scalar_one()
        session.execute(sa.text("delete from portal_audit_event where seq = :s"), {"s": n + 1})
        session.commit()
    gone = _run(history, "verify")
    assert (gone.exit_code, gone.output) == (1, (
        f"audit chain BROKEN at event id {first}: events 1–{n + 1} are missing and no archive "
        "accounts for them (0 verified before)\n"))


def test_archive_refusals_change_nothing(history: Flask, tmp_path: Path) -> None:
    seqs = _seqs(history)
    path = tmp_path / "audit.jsonl"
    asked = _run(history, "archive", "--before", f"{day(2):%Y-%m-%d}", "--to", str(path))
    assert asked.exit_code == 1
    assert asked.output == (
        f"This moves {len(seqs) - 2} event(s) (seq 1–{len(seqs) - 2}, before "
        f"{day(2):%Y-%m-%d}) to {path} and deletes them from the table.\n"
        "Error: not confirmed; nothing was changed (--yes in scripts)\n")
    none = _run(history, "archive", "--before", f"{day(0):%Y-%m-%d}", "--to", str(path), "--yes")
    assert (none.exit_code, none.output) == (0, (
        f"nothing to archive: the oldest audit event is not before {day(0):%Y-%m-%d}\n"))
    path.write_text("an older archive", encoding="utf-8")
    taken = _run(history, "archive", "--before", f"{day(2):%Y-%m-%d}", "--to", str(path), "--yes")
    assert (taken.exit_code, taken.output) == (1, (
        f"Error: {path} already exists; archives are never overwritten (choose a new file "
        "name); nothing was changed\n"))
    nowhere = tmp_path / "missing" / "audit.jsonl"
    lost = _run(history, "archive", "--before", f"{day(2):%Y-%m-%d}", "--to", str(nowhere),
                "--yes")
    assert (lost.exit_code, lost.output) == (1, (
        f"Error: folder {nowhere.parent} does not exist; nothing was changed\n"))
    assert _seqs(history) == seqs and sorted(p.name for p in tmp_path.iterdir()) == ["audit.jsonl"]
