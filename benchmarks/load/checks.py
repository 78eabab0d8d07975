"""After a run: what the users were told against what the database holds.

- creates and transitions counted by each user == rows and workflow events per user;
- every successful save of a shared complaint was based on a different version, the stored
  version is the first plus the number of saves, the stored text is the last save's: no
  update was lost or silently overwritten (the others got 409);
- no record is half-written: each complaint's state is the last workflow event's target, each
  complaint created in the run has its audit event and each audit event its complaint;
- `flask portal audit verify` passes."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[2]


def _rows(url: str, sql: str, **params: Any) -> list[Any]:
    from load.seed import sa_url

    engine = create_engine(sa_url(url))
    try:
        with engine.connect() as conn:
            return list(conn.execute(text(sql), params))
    finally:
        engine.dispose()


def audit_verify(url: str, secret: str) -> tuple[bool, str]:
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": secret,
           "FLASK_APP": "app:create_app", "PYTHONPATH": str(ROOT)}
    env.pop("REDIS_URL", None)
    done = subprocess.run([str(Path(sys.executable).parent / "flask"), "portal", "audit",
                           "verify"], cwd=ROOT, env=env, capture_output=True, text=True)
    said = [line for line in done.stdout.splitlines() if line.startswith("audit chain")]
    return done.returncode == 0, (said[-1] if said else done.stderr.strip()[-300:])


def check(url: str, secret: str, plan: dict[str, Any], tally: dict[str, Any], mark: str,
          exact: bool = True) -> list[tuple[str, bool, str]]:
    """(check, passed, figures) rows. `exact`: no request failed on the way, so the client's
    counts must equal the database's; otherwise (fault runs) they bound them."""
    results: list[tuple[str, bool, str]] = []
    creates = Counter({u: n for u, n in _rows(url, """
        select u.username, count(*) from form_complaint c join ab_user u
        on u.id = c.created_by_fk where c.product_name like :mark group by u.username""",
        mark=f"{mark}-%")})
    told = Counter(tally["creates"])
    failed_creates = sum(n for s, n in tally["statuses"].get("create", {}).items()
                         if s != "201")
    if exact:
        ok = creates == told
    else:
        ok = all(told[u] <= creates[u] for u in told) and (
            sum(creates.values()) <= sum(told.values()) + failed_creates)
    results.append(("creates: told the users = stored", ok,
                    f"told {sum(told.values())}, stored {sum(creates.values())}, "
                    f"{sum(1 for u in set(told) | set(creates) if told[u] != creates[u])} "
                    f"users differ, {failed_creates} creates failed"))
    moved = Counter({u: n for u, n in _rows(url, """
        select u.username, count(*) from portal_workflow_event w join ab_user u
        on u.id = w.user_id where w.form = 'complaint' and w.kind = 'transition'
        group by u.username""")})
    told = Counter(tally["transitions"])
    failed_moves = sum(n for s, n in tally["statuses"].get("transition", {}).items()
                       if s != "200")
    ok = moved == told if exact else (all(told[u] <= moved[u] for u in told) and sum(
        moved.values()) <= sum(told.values()) + failed_moves)
    results.append(("transitions: told the users = workflow events", ok,
                    f"told {sum(told.values())}, stored {sum(moved.values())}, "
                    f"{failed_moves} transitions failed"))
    lost, overwritten, saves = 0, 0, 0
    failed_saves = sum(n for s, n in tally["statuses"].get("shared: save", {}).items()
                       if s not in ("200", "409"))
    for shared in plan["shared"]:
        pk = shared["id"]
        edits = tally["edits"].get(str(pk), [])
        saves += len(edits)
        version, note = _rows(url, "select version, expectation from form_complaint "
                                   "where id = :pk", pk=pk)[0]
        bases = [e[0] for e in edits]
        overwritten += len(bases) - len(set(bases))  # two saves on one version: one lost
        if exact and (version != 1 + len(edits) or (edits and note != max(edits)[1])):
            lost += 1
        if not exact and version > 1 + len(edits) + failed_saves:
            lost += 1
    conflicts = sum(tally["conflicts"].values())
    results.append(("shared edits: no lost update (saves on distinct versions, stored "
                    "version = 1 + saves, last save's text kept)", lost == 0 and overwritten == 0,
                    f"{saves} saves, {conflicts} conflicts answered 409, "
                    f"{overwritten} overwritten, {lost} records off"))
    last: dict[int, str] = {}
    for pk, state in _rows(url, "select record_id, to_state from portal_workflow_event "
                                "where form = 'complaint' order by id"):
        last[int(pk)] = state
    states = dict(_rows(url, "select id, state from form_complaint"))
    torn = sum(1 for pk, state in last.items() if states.get(pk) != state)
    results.append(("no half-written record: state = last workflow event", torn == 0,
                    f"{len(last)} complaints moved, {torn} differ"))
    (orphans,), = _rows(url, """select count(*) from form_complaint c where c.product_name
        like :mark and not exists (select 1 from portal_audit_event a where a.form =
        'complaint' and a.action = 'create' and a.record_id = c.id::text)""", mark=f"{mark}-%")
    (ghosts,), = _rows(url, """select count(*) from portal_audit_event a where a.form =
        'complaint' and a.action = 'create' and not exists (select 1 from form_complaint c
        where c.id::text = a.record_id)""")
    results.append(("every created record has its audit event and vice versa",
                    orphans == 0 and ghosts == 0,
                    f"{orphans} without event, {ghosts} events without record"))
    ok, said = audit_verify(url, secret)
    results.append(("flask portal audit verify", ok, said))
    return results


def print_checks(title: str, rows: list[tuple[str, bool, str]]) -> bool:
    print(f"\n{title}")
    for name, ok, figures in rows:
        print(f"  [{'PASS' if ok else 'FAIL'}] {name}: {figures}")
    return all(ok for _, ok, _ in rows)
