"""Audit retention: move the oldest events to a JSON Lines file, and verify such files
together with the table, so the chain still verifies from genesis to the head.

A file is a header line, then one line per event with every column as stored:
    {"format": "portal-audit-archive", "version": 1, "from_seq", "through_seq",
     "start_hash" (prev_hash of the first event), "boundary_hash" (hash of the last event),
     "count", "created_at"}
Archiving takes the chain head's lock, deletes the events and appends an `archive` event
recording the file's sha256 in one transaction; the file is durable before that commits.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import json
import os
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from app.audit import log as audit

FORMAT, VERSION = "portal-audit-archive", 1
EVENTS, HEAD = audit.EVENTS, audit.HEAD
COLUMNS = tuple(c.name for c in EVENTS.columns)
OWNER_HINT = ("run archive with the table owner's DATABASE_URL (docs/audit-operations.md); "
              "nothing was changed and no file was written")


class ArchiveError(Exception):
    """The archive was not made; the message is one line for the operator."""


@dataclass(frozen=True)
class Prefix:
    """The oldest events of the table: seq from_seq..through_seq."""

    from_seq: int
    through_seq: int
    start_hash: str
    boundary_hash: str
    count: int


@dataclass(frozen=True)
class Archived:
    prefix: Prefix
    path: str
    sha256: str

    def text(self) -> str:
        p = self.prefix
        return (f"archived {p.count} event(s) (seq {p.from_seq}–{p.through_seq}) to "
                f"{self.path}; boundary hash {p.boundary_hash}")


def oldest(conn: Connection, before: dt.datetime) -> Prefix | None:
    """The events to archive: from the table's first event up to the first one at or after
    `before` (excluded), a contiguous prefix even where the clock once went backwards."""
    cut = conn.execute(select(func.min(EVENTS.c.seq)).where(EVENTS.c.at >= before)).scalar()
    query = select(func.min(EVENTS.c.seq), func.max(EVENTS.c.seq), func.count())
    if cut is not None:
        query = query.where(EVENTS.c.seq < cut)
    low, high, count = conn.execute(query).one()
    if not count:
        return None
    start = conn.execute(select(EVENTS.c.prev_hash).where(EVENTS.c.seq == low)).scalar_one()
    end = conn.execute(select(EVENTS.c.hash).where(EVENTS.c.seq == high)).scalar_one()
    return Prefix(low, high, start, end, count)


def check_target(path: str) -> None:
    """Refuse a file that exists (archives are never overwritten) or a missing folder."""
    if os.path.lexists(path):
        raise _exists(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise ArchiveError(f"folder {folder} does not exist; nothing was changed")


def archive(engine: Engine, before: dt.datetime, path: str) -> Archived | None:
    """Move the events before `before` to `path` and record it; None when there are none."""
    check_target(path)
    with engine.connect() as conn:  # the whole walk, before the lock: writers are not held up
        verdict = audit.verify(conn)
    if not verdict.ok:
        raise ArchiveError(f"not archived: {verdict.text()}")
    tmp = os.path.join(os.path.dirname(os.path.abspath(path)),
                       f".{os.path.basename(path)}.{uuid.uuid4().hex[:8]}.tmp")
    placed = committed = False
    try:
        with engine.begin() as conn:
            # The head row's lock, taken the way audit.append takes it: writers wait.
            if conn.execute(update(HEAD).where(HEAD.c.id == 1)
                            .values(seq=HEAD.c.seq)).rowcount != 1:
                raise ArchiveError("not archived: the chain head row is missing")
            prefix = oldest(conn, before)
            if prefix is None:
                return None
            digest = _write(conn, prefix, tmp)
            try:
                deleted = conn.execute(delete(EVENTS).where(
                    EVENTS.c.seq.between(prefix.from_seq, prefix.through_seq))).rowcount
            except DBAPIError as exc:
                raise ArchiveError(f"archive failed: the database refused to delete the "
                                   f"archived events ({_first_line(exc)}); {OWNER_HINT}"
                                   ) from None
            if deleted != prefix.count:
                raise ArchiveError(f"not archived: {deleted} row(s) deleted, expected "
                                   f"{prefix.count}; nothing was changed")
            audit.append(conn, audit.event_values("archive", details={
                "from_seq": prefix.from_seq, "through_seq": prefix.through_seq,
                "boundary_hash": prefix.boundary_hash, "file": os.path.basename(path),
                "sha256": digest, "count": prefix.count}))
            _place(tmp, path)
            placed = True
        committed = True
    except DBAPIError as exc:
        raise ArchiveError(f"archive failed: {_first_line(exc)}; nothing was changed") from None
    except OSError as exc:
        raise ArchiveError(f"archive failed: cannot write {path} ({exc.strerror or exc}); "
                           "nothing was changed") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if placed and not committed:
            os.unlink(path)
    return Archived(prefix, path, digest)


def _first_line(exc: DBAPIError) -> str:
    return (str(exc.orig).strip().splitlines() or ["database error"])[0]


def _dumps(value: dict[str, Any]) -> bytes:
    return (json.dumps(value, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


def _write(conn: Connection, prefix: Prefix, tmp: str) -> str:
    """Write and fsync the file, checking each event again as it goes; its sha256."""
    header = {"format": FORMAT, "version": VERSION, **dataclasses.asdict(prefix),
              "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
    digest = hashlib.sha256()
    query = select(EVENTS).where(EVENTS.c.seq.between(prefix.from_seq, prefix.through_seq))
    with open(tmp, "xb") as fh, conn.execute(query.order_by(EVENTS.c.seq)
                                             .execution_options(yield_per=1000)) as rows:
        line = _dumps(header)
        fh.write(line)
        digest.update(line)
        seq, prev = prefix.from_seq, prefix.start_hash
        for row in rows:
            values = dict(row._mapping)
            if (values["seq"], values["prev_hash"]) != (seq, prev) or \
                    audit.chain_hash(values) != values["hash"]:
                raise ArchiveError(f"not archived: event seq {values['seq']} changed while "
                                   "archiving; run 'flask portal audit verify'")
            values["at"] = values["at"].isoformat(timespec="microseconds")
            line = _dumps(values)
            fh.write(line)
            digest.update(line)
            seq, prev = seq + 1, values["hash"]
        if seq != prefix.through_seq + 1:
            raise ArchiveError("not archived: the events changed while archiving")
        fh.flush()
        os.fsync(fh.fileno())
    return digest.hexdigest()


def _place(tmp: str, path: str) -> None:
    """Rename tmp to path without ever replacing a file (a hard link fails if path exists),
    then make the rename durable."""
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise _exists(path) from None
    except OSError:  # a file system without hard links
        if os.path.lexists(path):
            raise
        os.rename(tmp, path)
    if os.path.exists(tmp):
        os.unlink(tmp)
    with contextlib.suppress(OSError):  # not every file system syncs folders
        folder = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)


def _exists(path: str) -> ArchiveError:
    return ArchiveError(f"{path} already exists; archives are never overwritten (choose a "
                        "new file name); nothing was changed")


# Verification ---------------------------------------------------------------------------

class Broken(Exception):
    def __init__(self, place: str, reason: str, bad_id: int | None = None) -> None:
        super().__init__(reason)
        self.place, self.reason, self.bad_id = place, reason, bad_id


@dataclass
class ArchiveFile:
    path: str
    name: str
    header: dict[str, Any]
    sha256: str = ""

    def span(self) -> str:
        return f"seq {self.header['from_seq']}–{self.header['through_seq']}"


def verify_files(conn: Connection, paths: Sequence[str]) -> audit.Verdict:
    """Verify archive files (oldest first) and the table as one chain from genesis: every
    line's hash and link, the headers, the files' order, the link to the table, and each
    file's sha256 against the `archive` event that recorded it."""
    if not paths:
        return audit.verify(conn)
    walk = _Walk()
    try:
        files = [ArchiveFile(p, os.path.basename(p), _header(p)) for p in paths]
        for before, after in zip(files, files[1:], strict=False):
            if after.header["from_seq"] < before.header["from_seq"]:
                raise Broken(f"archive {after.name}", f"it holds {after.span()}, older than "
                             f"{before.name} ({before.span()}) given before it: give the "
                             "archives oldest first")
        for number, file in enumerate(files):
            _link(files[number - 1] if number else None, file)
            walk.lines(file)
        _link_table(conn, files[-1])
    except Broken as broken:
        return audit.Verdict(False, walk.checked, broken.bad_id, broken.reason,
                             place=broken.place)
    table = audit.verify(conn)
    if not table.ok:
        return dataclasses.replace(table, checked=table.checked + walk.checked)
    recorders = dict(walk.recorders)
    for seq, details in audit.archive_events(conn):
        recorders[(details.get("from_seq"), details.get("through_seq"))] = (seq, details)
    for file in files:
        found = recorders.get((file.header["from_seq"], file.header["through_seq"]))
        if found is None:
            reason = (f"no archive event records a file of {file.span()}: it is not a file "
                      "the portal wrote")
        elif found[1].get("sha256") != file.sha256:
            reason = (f"its sha256 does not match the one recorded by the archive event seq "
                      f"{found[0]} (the file was changed or replaced)")
        else:
            continue
        return audit.Verdict(False, walk.checked + table.checked, None, reason,
                             place=f"archive {file.name}")
    return dataclasses.replace(table, archived=walk.checked, files=len(files), unchecked=0)


def _header(path: str) -> dict[str, Any]:
    name = os.path.basename(path)
    with open(path, "rb") as fh:
        first = fh.readline()
    try:
        header = json.loads(first)
    except ValueError:
        header = None
    ints = ("from_seq", "through_seq", "count")
    if not (isinstance(header, dict) and header.get("format") == FORMAT
            and header.get("version") == VERSION
            and all(type(header.get(k)) is int for k in ints)
            and all(isinstance(header.get(k), str) for k in ("start_hash", "boundary_hash"))):
        raise Broken(f"archive {name} line 1", "not a portal audit archive header "
                     f"(format {FORMAT!r}, version {VERSION})")
    return header


def _link(previous: ArchiveFile | None, file: ArchiveFile) -> None:
    """The file starts where the previous one ended (or at genesis)."""
    start, start_hash = file.header["from_seq"], file.header["start_hash"]
    place = f"archive {file.name} (seq {start})"
    if previous is None:
        if start != 1:
            raise Broken(place, f"it starts at seq {start}: events 1–{start - 1} are in an "
                         "earlier archive file that was not given")
        if start_hash != audit.GENESIS:
            raise Broken(place, "its start hash is not the genesis hash (the file does not "
                         "start the chain)")
        return
    end = previous.header["through_seq"]
    if start > end + 1:
        raise Broken(place, f"it starts at seq {start} but {previous.name} ends at seq "
                     f"{end}: events {end + 1}–{start - 1} are in an archive file that was "
                     "not given")
    if start <= end:
        raise Broken(place, f"it starts at seq {start} but {previous.name} already holds up "
                     f"to seq {end} (the files overlap; one given twice?)")
    if start_hash != previous.header["boundary_hash"]:
        raise Broken(place, f"its start hash does not match the boundary hash of "
                     f"{previous.name} (the files are not from one chain)")


def _link_table(conn: Connection, last: ArchiveFile) -> None:
    """The table's first event follows the last file."""
    end, boundary = last.header["through_seq"], last.header["boundary_hash"]
    first = conn.execute(select(EVENTS.c.id, EVENTS.c.seq, EVENTS.c.prev_hash)
                         .order_by(EVENTS.c.seq, EVENTS.c.id).limit(1)).first()
    if first is None:
        raise Broken("chain end", f"the table holds no event after {last.name} (seq {end})")
    place = f"event id {first.id} (seq {first.seq}, the table's first)"
    if first.seq > end + 1:
        raise Broken(place, f"{last.name} ends at seq {end}: events {end + 1}–{first.seq - 1}"
                     " are in an archive file that was not given", first.id)
    if first.seq <= end:
        raise Broken(place, f"the table still holds seq {first.seq}–{end}, which {last.name} "
                     "also holds (an archive that never completed?)", first.id)
    if first.prev_hash != boundary:
        raise Broken(place, f"its previous hash does not match the boundary hash of "
                     f"{last.name}", first.id)


class _Walk:
    """Walks files' lines, counting verified events and collecting `archive` events."""

    def __init__(self) -> None:
        self.checked = 0
        self.recorders: dict[tuple[Any, Any], tuple[int, dict[str, Any]]] = {}

    def lines(self, file: ArchiveFile) -> None:
        header, digest = file.header, hashlib.sha256()
        seq, prev = header["from_seq"], header["start_hash"]
        for number, raw in _numbered(file.path, digest):
            if number == 1:
                continue
            row = self._row(file, number, raw)
            place = f"archive {file.name} line {number} (seq {row['seq']})"
            if row["seq"] != seq:
                raise Broken(place, f"seq {seq} is missing (a deleted line)" if row["seq"] > seq
                             else f"seq {row['seq']} appears twice or out of order (an "
                             "inserted or moved line)")
            if row["prev_hash"] != prev:
                raise Broken(place, "previous hash does not match the header's start hash"
                             if number == 2 else "previous hash does not match the line "
                             "before it (lines inserted, deleted or reordered)")
            if audit.chain_hash(row) != row["hash"]:
                raise Broken(place, "content does not match its hash (the line was edited)")
            if row["action"] == "archive" and row["outcome"] == "ok":
                details = audit.archive_details(row["details"])
                self.recorders[details.get("from_seq"), details.get("through_seq")] = (
                    row["seq"], details)
            seq, prev = seq + 1, row["hash"]
            self.checked += 1
        place = f"archive {file.name} end (seq {seq - 1})"
        if seq - 1 != header["through_seq"]:
            raise Broken(place, f"the header says through seq {header['through_seq']} but the "
                         f"file ends at seq {seq - 1} (lines deleted from the end, or added)")
        if seq - header["from_seq"] != header["count"]:
            raise Broken(place, f"the header counts {header['count']} event(s) but the file "
                         f"holds {seq - header['from_seq']}")
        if prev != header["boundary_hash"]:
            raise Broken(place, "the last line's hash does not match the header's boundary "
                         "hash")
        file.sha256 = digest.hexdigest()

    @staticmethod
    def _row(file: ArchiveFile, number: int, raw: bytes) -> dict[str, Any]:
        place = f"archive {file.name} line {number}"
        try:
            row = json.loads(raw)
        except ValueError:
            raise Broken(place, "not valid JSON (the line was edited or cut short)") from None
        if not isinstance(row, dict) or set(row) != set(COLUMNS):
            raise Broken(place, "its columns are not portal_audit_event's (the line was "
                         "edited)")
        if type(row["seq"]) is not int:
            raise Broken(place, "its seq is not a number (the line was edited)")
        try:
            row["at"] = dt.datetime.fromisoformat(row["at"])
        except (TypeError, ValueError):
            raise Broken(f"{place} (seq {row['seq']})", "its 'at' is not a date-time (the "
                         "line was edited)") from None
        return row


def _numbered(path: str, digest: Any) -> Iterator[tuple[int, bytes]]:
    """The file's lines, numbered from 1, feeding the sha256 with every byte."""
    with open(path, "rb") as fh:
        for number, raw in enumerate(fh, 1):
            digest.update(raw)
            yield number, raw
