"""Several processes writing at once extend one audit chain: every write has its event, the
sequence has no gap or duplicate, and the chain verifies (SQLite and PostgreSQL alike)."""

from __future__ import annotations

import json
import multiprocessing
import time
from collections.abc import Callable
from typing import Any

from flask import Flask
from sqlalchemy import text

from app.audit import log as audit
from app.portal import portal_of

PROCESSES = 4
RECORDS = 25


def _writer(settings: dict[str, Any], worker: int, start: Any, done: Any) -> None:
    """One app process: waits for the others, then creates RECORDS customers, one commit
    each."""
    from app import create_app

    app = create_app(settings)
    model = portal_of(app).models.models["customer"]
    with app.app_context():
        session = app.appbuilder.session
        start.wait(timeout=120)  # a barrier: all processes begin writing together
        for n in range(RECORDS):
            session.add(model(name=f"并发{worker}-{n}", phone=f"139{worker:04d}{n:04d}"))
            session.commit()
            time.sleep(0.005)  # a request's think time: SQLite's lock goes to a waiting writer
    done.put(worker)


def test_four_processes_writing_at_once_build_one_intact_chain(
        make_app: Callable[..., Flask]) -> None:
    app = make_app()
    keys = ("SQLALCHEMY_DATABASE_URI", "PORTAL_CONFIG_DIR", "PORTAL_INDUSTRY", "SECRET_KEY",
            "PORTAL_REVISIONS_DIR", "TESTING", "SQLALCHEMY_ENGINE_OPTIONS")
    settings = {k: app.config[k] for k in keys if k in app.config}
    ctx = multiprocessing.get_context("spawn")
    start, done = ctx.Barrier(PROCESSES), ctx.Queue()
    workers = [ctx.Process(target=_writer, args=(settings, w, start, done))
               for w in range(PROCESSES)]
    for proc in workers:
        proc.start()
    for proc in workers:
        proc.join(timeout=240)
    assert [proc.exitcode for proc in workers] == [0] * PROCESSES
    assert sorted(done.get(timeout=5) for _ in workers) == list(range(PROCESSES))
    with app.app_context():
        session = app.appbuilder.session
        rows = session.execute(text(
            "select record_id, details from portal_audit_event where action = 'create' and "
            "form = 'customer' order by seq")).all()
        seqs = session.execute(text("select seq from portal_audit_event order by seq")
                               ).scalars().all()
        with session.get_bind().connect() as conn:
            verdict = audit.verify(conn)
    created = {r.record_id for r in rows}
    assert len(rows) == len(created) == PROCESSES * RECORDS
    # The writers really ran at once: their events interleave in the chain.
    writers = [json.loads(r.details)["values"]["name"].split("-")[0] for r in rows]
    switches = sum(a != b for a, b in zip(writers, writers[1:], strict=False))
    print(f"{switches} switches between writers in {len(rows)} events")
    assert switches >= PROCESSES
    assert seqs == list(range(1, len(seqs) + 1))
    assert verdict.ok, verdict.text()
    assert verdict.checked == len(seqs)
