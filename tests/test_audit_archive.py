"""Audit archives: the oldest events move to a file and the chain still verifies across the
files and the table; every kind of tampering with a file is named by file, line and seq;
on PostgreSQL the application's role cannot update, delete or archive audit events."""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from app.audit import archive as audit_archive
from app.audit import log as audit
from tests.support.app import PG_URL, _pg_admin_url
from tests.support.factories import audit_events, day


def _engine(app: Flask) -> sa.Engine:
    with app.app_context():
        return app.appbuilder.session.get_bind()


def _archive(app: Flask, days: int, path: Path) -> audit_archive.Archived | None:
    with app.app_context():
        return audit_archive.archive(_engine(app), day(days), str(path))


def _verify(app: Flask, *files: Path) -> audit.Verdict:
    with app.app_context(), _engine(app).connect() as conn:
        return audit_archive.verify_files(conn, [str(f) for f in files])


def _table(app: Flask) -> list[tuple]:
    with app.app_context(), _engine(app).connect() as conn:
        return [tuple(r) for r in conn.execute(sa.select(audit.EVENTS).order_by("seq"))]


def _head(app: Flask) -> tuple:
    with app.app_context(), _engine(app).connect() as conn:
        return tuple(conn.execute(sa.select(audit.HEAD.c.seq, audit.HEAD.c.hash)).one())


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _history(make_app: Callable[..., Flask]) -> Flask:
    """The set-up events (today), then 4 events a day ahead, 3 three days ahead, 2 five
    days ahead and 2 seven days ahead: archives before days 2, 4 and 6 cut between them."""
    app = make_app()
    for days, n in ((1, 4), (3, 3), (5, 2), (7, 2)):
        audit_events(app, days, n, tag=f"+{days}")
    return app


@pytest.fixture
def history(make_app: Callable[..., Flask]) -> Flask:
    return _history(make_app)


@pytest.fixture(scope="module")
def archived(make_app: Callable[..., Flask], tmp_path_factory: pytest.TempPathFactory
             ) -> tuple[Flask, list[Path]]:
    """The history archived three times (before days 2, 4 and 6); tests must not change it."""
    app, folder = _history(make_app), tmp_path_factory.mktemp("archives")
    files = [folder / f"audit-{n}.jsonl" for n in (1, 2, 3)]
    for days, path in zip((2, 4, 6), files, strict=True):
        assert _archive(app, days, path) is not None
    return app, files


@pytest.fixture
def three(archived: tuple[Flask, list[Path]], tmp_path: Path) -> tuple[Flask, list[Path]]:
    """The three archives, copied for a test to tamper with."""
    app, files = archived
    copies = [tmp_path / f.name for f in files]
    for source, copy in zip(files, copies, strict=True):
        shutil.copyfile(source, copy)
    return app, copies


def test_archive_moves_the_oldest_events_to_a_file_and_records_it(history: Flask,
                                                                  tmp_path: Path) -> None:
    before = _table(history)
    head = _head(history)
    path = tmp_path / "audit-2026.jsonl"
    done = _archive(history, 2, path)
    assert done is not None
    moved = [r for r in before if r[2] < day(2)]  # set-up events and the day-1 ones
    assert done.prefix.count == len(moved) and done.prefix.from_seq == 1
    assert done.text() == (f"archived {len(moved)} event(s) (seq 1–{len(moved)}) to {path}; "
                           f"boundary hash {moved[-1][-1]}")
    header, *events = _lines(path)
    assert header == {"format": "portal-audit-archive", "version": 1, "from_seq": 1,
                      "through_seq": len(moved), "start_hash": audit.GENESIS,
                      "boundary_hash": moved[-1][-1], "count": len(moved),
                      "created_at": header["created_at"]}
    assert [tuple(e.values()) for e in events] == [
        (*r[:2], r[2].isoformat(timespec="microseconds"), *r[3:]) for r in moved]
    assert not [p for p in tmp_path.iterdir() if p.name != path.name]  # no temp file left
    after = _table(history)
    assert after[:-1] == before[len(moved):]
    record = dict(zip(audit_archive.COLUMNS, after[-1], strict=True))
    assert record["action"] == "archive" and record["seq"] == head[0] + 1
    assert json.loads(record["details"]) == {
        "from_seq": 1, "through_seq": len(moved), "boundary_hash": moved[-1][-1],
        "file": "audit-2026.jsonl", "sha256": done.sha256, "count": len(moved)}
    with history.app_context(), _engine(history).connect() as conn:
        table_only = audit.verify(conn)
    assert table_only.ok and table_only.unchecked == len(moved)
    assert table_only.text() == (
        f"audit chain intact: {len(before) - len(moved) + 1} event(s) verified (events "
        f"1–{len(moved)} are archived and were not checked: pass --archive FILE to check them)")
    verdict = _verify(history, path)
    assert verdict.ok and (verdict.archived, verdict.files) == (len(moved), 1)


def test_two_consecutive_archives_verify_together_even_when_the_second_holds_the_first_event(
        make_app: Callable[..., Flask], tmp_path: Path) -> None:
    app = make_app()
    audit_events(app, 1, 3)
    audit_events(app, 3, 3)
    first, second = tmp_path / "a1.jsonl", tmp_path / "a2.jsonl"
    one = _archive(app, 2, first)
    audit_events(app, 5, 2)  # after the first archive event, which is dated today
    two = _archive(app, 4, second)
    assert one is not None and two is not None
    assert two.prefix.from_seq == one.prefix.through_seq + 1
    assert [e["action"] for e in _lines(second)[1:]] == ["test"] * 3 + ["archive"]
    verdict = _verify(app, first, second)
    assert verdict.ok and verdict.archived == one.prefix.count + two.prefix.count
    assert verdict.text() == (f"audit chain intact: {verdict.checked} event(s) verified "
                              f"({verdict.archived} archived event(s) in 2 file(s) verified)")


def test_nothing_before_the_day_writes_no_file(history: Flask, tmp_path: Path) -> None:
    before = _table(history)
    assert _archive(history, -1, tmp_path / "none.jsonl") is None
    assert list(tmp_path.iterdir()) == [] and _table(history) == before


def test_an_existing_file_is_never_overwritten(history: Flask, tmp_path: Path) -> None:
    path = tmp_path / "taken.jsonl"
    path.write_text("keep me", encoding="utf-8")
    with pytest.raises(audit_archive.ArchiveError, match=r"taken.jsonl already exists; "
                       r"archives are never overwritten \(choose a new file name\); "
                       "nothing was changed"):
        _archive(history, 2, path)
    assert path.read_text(encoding="utf-8") == "keep me"


def test_a_broken_chain_is_not_archived(history: Flask, tmp_path: Path) -> None:
    with history.app_context():
        session = history.appbuilder.session
        session.execute(sa.text("update portal_audit_event set username = 'x' where seq = 2"))
        session.commit()
    with pytest.raises(audit_archive.ArchiveError, match="^not archived: audit chain BROKEN "
                       r"at event id \d+: content does not match its hash"):
        _archive(history, 2, tmp_path / "a.jsonl")
    assert list(tmp_path.iterdir()) == []


def _rewrite(path: Path, edit: Callable[[list[str]], list[str]]) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(edit(lines)), encoding="utf-8")


def _edit_line(number: int) -> Callable[[list[str]], list[str]]:
    def edit(lines: list[str]) -> list[str]:
        row = json.loads(lines[number - 1])
        row["username"] = "mallory"
        lines[number - 1] = json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n"
        return lines
    return edit


def _broken(verdict: audit.Verdict) -> str:
    assert not verdict.ok
    return verdict.text()


def test_tampered_archives_are_named_by_file_line_and_seq(three: tuple[Flask, list[Path]]
                                                          ) -> None:
    app, (a1, a2, a3) = three
    assert _verify(app, a1, a2, a3).ok
    n1 = len(_lines(a1)) - 1
    n2 = len(_lines(a2)) - 1

    _rewrite(a2, _edit_line(3))
    assert _broken(_verify(app, a1, a2, a3)) == (
        f"audit chain BROKEN at archive audit-2.jsonl line 3 (seq {n1 + 2}): content does not "
        f"match its hash (the line was edited) ({n1 + 1} verified before)")
    _rewrite(a2, lambda lines: lines[:2] + lines[3:])  # line 3 (the edited one) deleted
    assert _broken(_verify(app, a1, a2, a3)) == (
        f"audit chain BROKEN at archive audit-2.jsonl line 3 (seq {n1 + 3}): seq {n1 + 2} "
        f"is missing (a deleted line) ({n1 + 1} verified before)")
    _rewrite(a3, lambda lines: lines[:-1])  # the last line deleted
    assert _broken(_verify(app, a1, a3)).startswith(
        f"audit chain BROKEN at archive audit-3.jsonl (seq {n1 + n2 + 1}): it starts at seq "
        f"{n1 + n2 + 1} but audit-1.jsonl ends at seq {n1}: events {n1 + 1}–{n1 + n2} are in "
        "an archive file that was not given")
    assert _broken(_verify(app, a3)).startswith(
        f"audit chain BROKEN at archive audit-3.jsonl (seq {n1 + n2 + 1}): it starts at seq "
        f"{n1 + n2 + 1}: events 1–{n1 + n2} are in an earlier archive file that was not given")


def test_a_file_cut_at_the_end_and_a_changed_file_are_named(three: tuple[Flask, list[Path]]
                                                            ) -> None:
    app, (a1, a2, a3) = three
    n1, n2, n3 = (len(_lines(a)) - 1 for a in (a1, a2, a3))
    original = a3.read_bytes()
    _rewrite(a3, lambda lines: lines[:-1])
    assert _broken(_verify(app, a1, a2, a3)) == (
        f"audit chain BROKEN at archive audit-3.jsonl end (seq {n1 + n2 + n3 - 1}): the header "
        f"says through seq {n1 + n2 + n3} but the file ends at seq {n1 + n2 + n3 - 1} (lines "
        f"deleted from the end, or added) ({n1 + n2 + n3 - 1} verified before)")
    a3.write_bytes(original)
    # Same events, other bytes (Chinese escaped): every line verifies, the sha256 does not.
    _rewrite(a1, lambda lines: [json.dumps(json.loads(line)) + "\n" for line in lines])
    with app.app_context(), _engine(app).connect() as conn:
        recorder = [s for s, d in audit.archive_events(conn) if d["file"] == "audit-1.jsonl"]
    text = _broken(_verify(app, a1, a2, a3))
    assert text.startswith(
        f"audit chain BROKEN at archive audit-1.jsonl: its sha256 does not match the one "
        f"recorded by the archive event seq {recorder[0]} (the file was changed or replaced) (")


def test_archives_out_of_order_or_twice_and_a_missing_last_file_are_named(
        three: tuple[Flask, list[Path]]) -> None:
    app, (a1, a2, a3) = three
    n1, n2, n3 = (len(_lines(a)) - 1 for a in (a1, a2, a3))
    assert _broken(_verify(app, a2, a1, a3)) == (
        f"audit chain BROKEN at archive audit-1.jsonl: it holds seq 1–{n1}, older than "
        f"audit-2.jsonl (seq {n1 + 1}–{n1 + n2}) given before it: give the archives oldest "
        "first (0 verified before)")
    assert _broken(_verify(app, a1, a1)).startswith(
        f"audit chain BROKEN at archive audit-1.jsonl (seq 1): it starts at seq 1 but "
        f"audit-1.jsonl already holds up to seq {n1} (the files overlap; one given twice?)")
    first_id = _table(app)[0][0]
    assert _broken(_verify(app, a1, a2)) == (
        f"audit chain BROKEN at event id {first_id} (seq {n1 + n2 + n3 + 1}, the table's "
        f"first): audit-2.jsonl ends at seq {n1 + n2}: events {n1 + n2 + 1}–{n1 + n2 + n3} "
        f"are in an archive file that was not given ({n1 + n2} verified before)")


def test_files_that_are_not_archives_or_not_the_portals_are_refused(
        three: tuple[Flask, list[Path]], tmp_path: Path) -> None:
    app, (a1, a2, a3) = three
    other = tmp_path / "notes.txt"
    other.write_text("hello\n", encoding="utf-8")
    assert _broken(_verify(app, other)) == (
        "audit chain BROKEN at archive notes.txt line 1: not a portal audit archive header "
        "(format 'portal-audit-archive', version 1) (0 verified before)")
    # a1 and a2 merged into one well-formed file: its events verify, no archive recorded it
    merged = tmp_path / "merged.jsonl"
    h1, *e1 = _lines(a1)
    h2, *e2 = _lines(a2)
    header = dict(h1, through_seq=h2["through_seq"], boundary_hash=h2["boundary_hash"],
                  count=h1["count"] + h2["count"])
    merged.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n"
                              for x in (header, *e1, *e2)), encoding="utf-8")
    assert _broken(_verify(app, merged, a3)).startswith(
        f"audit chain BROKEN at archive merged.jsonl: no archive event records a file of seq "
        f"1–{h2['through_seq']}: it is not a file the portal wrote (")


def test_postgres_privileges_make_the_audit_table_append_only(
        make_app: Callable[..., Flask], tmp_path: Path) -> None:
    """docs/audit-operations.md, for real: the application's role appends events but cannot
    update, delete or archive them; archive as that role changes nothing, leaves no file."""
    if not PG_URL:
        pytest.skip("table privileges are PostgreSQL's: set PORTAL_TEST_DATABASE_URL to run "
                    "this test")
    owner = make_app()
    url = sa.make_url(owner.config["SQLALCHEMY_DATABASE_URI"])
    schema = url.query["options"].split("search_path=", 1)[1].split()[0]
    role = f"portal_app_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(_pg_admin_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for statement in (
                f'CREATE ROLE "{role}" LOGIN',
                f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"',
                f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "{schema}" '
                f'TO "{role}"',
                f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA "{schema}" TO "{role}"',
                f'REVOKE UPDATE, DELETE, TRUNCATE ON "{schema}".portal_audit_event '
                f'FROM "{role}"',
                f'REVOKE INSERT, DELETE, TRUNCATE ON "{schema}".portal_audit_head '
                f'FROM "{role}"'):
            conn.execute(sa.text(statement))
    app = None
    try:
        app = make_app(setup=False, SQLALCHEMY_DATABASE_URI=url.set(username=role)
                       .render_as_string(hide_password=False))
        with app.app_context():
            session = app.appbuilder.session
            assert session.execute(sa.text("select current_user")).scalar() == role
            audit.record(session, "test", details={"as": "the application's role"})
            session.commit()
            for statement in ("update portal_audit_event set username = 'x'",
                              "delete from portal_audit_event where seq = 1",
                              "truncate portal_audit_event",
                              "delete from portal_audit_head"):
                with pytest.raises(sa.exc.ProgrammingError,
                                   match="permission denied for table portal_audit_"):
                    session.execute(sa.text(statement))
                session.rollback()
        table, head = _table(owner), _head(owner)
        result = app.test_cli_runner().invoke(args=[
            "portal", "audit", "archive", "--before", f"{day(1):%Y-%m-%d}",
            "--to", str(tmp_path / "audit.jsonl"), "--yes"])
        assert result.exit_code == 1
        assert result.output == (
            "Error: archive failed: the database refused to delete the archived events "
            "(permission denied for table portal_audit_event); run archive with the table "
            "owner's DATABASE_URL (docs/audit-operations.md); nothing was changed and no file "
            "was written\n")
        assert (_table(owner), _head(owner)) == (table, head)
        assert list(tmp_path.iterdir()) == []
        verify = app.test_cli_runner().invoke(args=["portal", "audit", "verify"])
        assert verify.exit_code == 0, verify.output  # verify runs as the application's role
        assert _archive(owner, 1, tmp_path / "audit.jsonl") is not None  # the owner may
    finally:
        if app is not None:
            _engine(app).dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP OWNED BY "{role}"'))
            conn.execute(sa.text(f'DROP ROLE "{role}"'))
        admin.dispose()
    assert os.path.exists(tmp_path / "audit.jsonl")
