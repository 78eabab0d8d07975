"""The audit chain: every append extends one hash chain; verify names the first bad event
after an edit, a deletion (middle or end), an insertion or a reordering."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa
from flask import Flask

from app.audit import log as audit


@pytest.fixture
def chain(make_app: Callable[..., Flask]) -> Iterator[Flask]:
    app = make_app()
    with app.app_context():
        session = app.appbuilder.session
        for n in range(6):
            audit.record(session, "test", form="complaint", record_id=n,
                         details={"n": n, "text": "中文"})
        session.commit()
    yield app


def _verify(app: Flask) -> audit.Verdict:
    with app.app_context(), app.appbuilder.session.get_bind().connect() as conn:
        return audit.verify(conn)


def _ids(app: Flask) -> list[int]:
    with app.app_context():
        return list(app.appbuilder.session.execute(sa.text(
            "select id from portal_audit_event where action = 'test' order by seq")).scalars())


def _sql(app: Flask, statement: str, **params: object) -> None:
    with app.app_context():
        session = app.appbuilder.session
        session.execute(sa.text(statement), params)
        session.commit()


def test_an_untouched_chain_verifies(chain: Flask) -> None:
    verdict = _verify(chain)
    assert verdict.ok and verdict.checked >= 6
    assert verdict.text() == f"audit chain intact: {verdict.checked} event(s) verified"


def test_an_edited_event_is_named(chain: Flask) -> None:
    target = _ids(chain)[2]
    _sql(chain, "update portal_audit_event set username = 'mallory' where id = :id", id=target)
    verdict = _verify(chain)
    assert (verdict.ok, verdict.bad_id) == (False, target)
    assert verdict.reason == "content does not match its hash (the event was edited)"


def test_a_deleted_event_is_named_by_the_one_after_it(chain: Flask) -> None:
    ids = _ids(chain)
    _sql(chain, "delete from portal_audit_event where id = :id", id=ids[3])
    verdict = _verify(chain)
    assert (verdict.ok, verdict.bad_id) == (False, ids[4])
    assert "is missing (a deleted event)" in verdict.reason


def test_events_deleted_from_the_end_are_detected_by_the_head(chain: Flask) -> None:
    ids = _ids(chain)
    _sql(chain, "delete from portal_audit_event where id = :id", id=ids[-1])
    verdict = _verify(chain)
    assert not verdict.ok and verdict.bad_id is None
    assert "events deleted from the end" in verdict.reason


def test_an_inserted_event_is_named(chain: Flask) -> None:
    """A forged event slipped in after event 3, well formed and linked to it: the real
    event after it no longer links, and is named."""
    ids = _ids(chain)
    with chain.app_context():
        session = chain.appbuilder.session
        row = session.execute(sa.select(audit.EVENTS).where(audit.EVENTS.c.id == ids[2])
                              ).mappings().one()
        for shift in (1_000_000, -999_999):  # make room for one event after it
            session.execute(sa.text("update portal_audit_event set seq = seq + :d "
                                    "where seq > :s"), {"d": shift, "s": row["seq"]})
        forged = dict(row, id=ids[-1] + 100, seq=row["seq"] + 1, username="forged",
                      prev_hash=row["hash"])
        forged["hash"] = audit.chain_hash(forged)
        session.execute(sa.insert(audit.EVENTS).values(**forged))
        session.commit()
    verdict = _verify(chain)
    assert (verdict.ok, verdict.bad_id) == (False, ids[3])
    assert verdict.reason.startswith("previous hash does not match")


def test_reordered_events_are_named(chain: Flask) -> None:
    ids = _ids(chain)
    with chain.app_context():
        session = chain.appbuilder.session
        a, b = (session.execute(sa.text("select seq from portal_audit_event where id = :i"),
                                {"i": i}).scalar() for i in (ids[1], ids[2]))
        session.execute(sa.text("update portal_audit_event set seq = -1 where id = :i"),
                        {"i": ids[1]})
        session.execute(sa.text("update portal_audit_event set seq = :s where id = :i"),
                        {"s": a, "i": ids[2]})
        session.execute(sa.text("update portal_audit_event set seq = :s where id = :i"),
                        {"s": b, "i": ids[1]})
        session.commit()
    verdict = _verify(chain)
    assert (verdict.ok, verdict.bad_id) == (False, ids[2])
    assert verdict.reason.startswith("previous hash does not match")


def test_verify_command_reports_and_exits_non_zero_on_tampering(chain: Flask) -> None:
    runner = chain.test_cli_runner()
    good = runner.invoke(args=["portal", "audit", "verify"])
    assert good.exit_code == 0 and good.output.startswith("audit chain intact: ")
    target = _ids(chain)[0]
    _sql(chain, "update portal_audit_event set outcome = 'denied' where id = :id", id=target)
    bad = runner.invoke(args=["portal", "audit", "verify"])
    with chain.app_context():
        earlier = chain.appbuilder.session.execute(sa.text(
            "select count(*) from portal_audit_event where seq < (select seq from "
            "portal_audit_event where id = :id)"), {"id": target}).scalar()
    assert bad.exit_code == 1
    assert bad.output == (f"audit chain BROKEN at event id {target}: content does not match "
                          f"its hash (the event was edited) ({earlier} verified before)\n")


def test_events_deleted_from_the_start_without_an_archive_are_named(chain: Flask) -> None:
    """The table may start after seq 1 only where an archive event accounts for it
    (tests/test_audit_archive.py)."""
    _sql(chain, "delete from portal_audit_event where seq = 1")
    first = _first_id(chain)
    verdict = _verify(chain)
    assert (verdict.ok, verdict.bad_id) == (False, first)
    assert verdict.reason == "event 1 is missing and no archive accounts for it"
    _sql(chain, "delete from portal_audit_event where seq <= 3")
    assert _verify(chain).text() == (f"audit chain BROKEN at event id {_first_id(chain)}: "
                                     "events 1–3 are missing and no archive accounts for them "
                                     "(0 verified before)")


def _first_id(app: Flask) -> int:
    with app.app_context():
        return app.appbuilder.session.execute(sa.text(
            "select id from portal_audit_event order by seq limit 1")).scalar_one()


def test_an_event_added_after_the_end_without_the_head_is_found(chain: Flask) -> None:
    with chain.app_context():
        session = chain.appbuilder.session
        last = session.execute(sa.select(audit.EVENTS).order_by(
            audit.EVENTS.c.seq.desc()).limit(1)).mappings().one()
        forged = {k: v for k, v in last.items() if k != "id"}
        forged.update(seq=last["seq"] + 1, prev_hash=last["hash"], username="mallory")
        forged["hash"] = audit.chain_hash(forged)
        session.execute(audit.EVENTS.insert().values(**forged))
        session.commit()
        forged_id = session.execute(sa.text(
            "select id from portal_audit_event where username = 'mallory'")).scalar()
    verdict = _verify(chain)
    assert (verdict.ok, verdict.bad_id) == (False, forged_id)
    assert verdict.reason == "the event lies beyond the chain head (an inserted event)"


def test_events_appended_while_verify_walks_are_left_for_the_next_run(chain: Flask) -> None:
    """A live portal keeps writing: the walk stops at the head it read first."""
    from unittest import mock

    original = audit._broken_link
    appended: list[int] = []

    def append_during_walk(row, expected_seq, prev):  # type: ignore[no-untyped-def]
        if not appended:
            with chain.app_context():
                session = chain.appbuilder.session
                audit.record(session, "test", details={"during": "verify"})
                session.commit()
            appended.append(1)
        return original(row, expected_seq, prev)

    with mock.patch.object(audit, "_broken_link", append_during_walk):
        verdict = _verify(chain)
    assert appended and verdict.ok, verdict.text()
    assert _verify(chain).checked == verdict.checked + 1


def test_a_batch_of_events_is_chained_in_order_with_three_statements(chain: Flask) -> None:
    statements: list[str] = []
    with chain.app_context():
        session = chain.appbuilder.session
        engine = session.get_bind()

        def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
            statements.append(statement)

        sa.event.listen(engine, "before_cursor_execute", count)
        try:
            audit.record_many(session, [("batch", "complaint", n, {"n": n})
                                        for n in range(50)])
        finally:
            sa.event.remove(engine, "before_cursor_execute", count)
        session.commit()
        seqs = list(session.execute(sa.text(
            "select seq from portal_audit_event where action = 'batch' order by id")).scalars())
    assert len(statements) == 3  # the head, one INSERT of all 50, the head's hash
    assert seqs == list(range(seqs[0], seqs[0] + 50))
    assert _verify(chain).ok
