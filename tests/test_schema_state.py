"""The recorded schema: snapshots, and a write/read round trip inside a transaction."""

from __future__ import annotations

from app.config.load import load_spec
from app.schema.state import FieldState, read_state, snapshot, state_of, write_state
from tests.support.app import CONFIG


def test_snapshot_keeps_what_storage_and_wording_need() -> None:
    field = load_spec(str(CONFIG)).form("complaint").field("priority")
    snap = snapshot(field)
    assert snap["type"] == "choice" and snap["column"] == "priority"
    assert snap["choices"][2] == ["urgent", "紧急", "Urgent"]
    assert snap["label"] == ["优先级", "Priority"] and snap["default"] == "normal"


def test_state_round_trip(app) -> None:
    spec = load_spec(str(CONFIG))
    with app.app_context():
        engine = app.extensions["migrate"].db.engine
        with engine.connect() as conn:
            recorded = read_state(conn)
            assert set(recorded) == {f.key for f in spec.forms}
            customer = state_of(spec.form("customer"))
            customer.fields["old_notes"] = FieldState("old_notes", "old_notes",
                                                      {"type": "text"}, "retired")
            write_state(conn, {"customer": customer})
            again = read_state(conn)
            assert set(again) == {"customer"}
            assert again["customer"].fields["old_notes"].status == "retired"
            assert again["customer"].fields["phone"].snap == snapshot(
                spec.form("customer").field("phone"))
            conn.rollback()
        with engine.connect() as conn:
            assert set(read_state(conn)) == {f.key for f in spec.forms}
