"""The schema plan: what the database needs to follow the YAML, in plain words, checked
against the stored data. Nothing here changes the database.

Rules (docs/schema-evolution.md): new form → create table; new field → add column; label,
help or choice-label change → no database change; wider text → alter; renamed_from → rename
keeping data; field or form gone from YAML → retired (column/table and data kept); type
change → only when every stored value converts; narrowing, a removed choice still in use, a
new NOT NULL with empty rows, a new unique with duplicates → refused, with counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, func, inspect, select
from sqlalchemy.engine import Connection

from app.db.tables import FormModels
from app.fieldtypes.registry import can_convert
from app.schema import trigram
from app.schema.conversions import check_values, stored_column
from app.schema.state import FieldState, FormState, read_state, snapshot
from app.spec import SLA_COLUMNS, STATE_COLUMN, SYSTEM_COLUMNS, FieldSpec, FormSpec, PortalSpec

SAMPLE_IDS = 5


@dataclass(frozen=True)
class Change:
    """One line of the plan. `action` and `args` tell the applier what to do."""

    form: str
    action: str  # create_table add_column rename_column alter_column convert_column
    #              trigram_index
    #              retire_field unretire_field retire_form unretire_form note
    text: str
    args: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    risky: bool = False
    refused: bool = False

    @property
    def ddl(self) -> bool:
        return self.action not in ("note", "retire_field", "retire_form", "unretire_field",
                                   "unretire_form") and not self.refused

    def line(self) -> str:
        marker = "!" if self.refused else {"create_table": "+", "add_column": "+",
                                           "retire_field": "-", "retire_form": "-",
                                           "note": "="}.get(self.action, "~")
        text = f"REFUSED: {self.text}" if self.refused else self.text
        return f"  {marker} {text}{'  [risky]' if self.risky and not self.refused else ''}"


@dataclass
class Plan:
    changes: list[Change]
    rows: dict[str, int]
    spec: PortalSpec
    bootstrap: bool = False  # no recorded state yet: adopting an existing database

    @property
    def refused(self) -> list[Change]:
        return [c for c in self.changes if c.refused]

    def text(self) -> str:
        if not self.changes:
            return "The database matches the configuration; nothing to do."
        out: list[str] = []
        for form in dict.fromkeys(c.form for c in self.changes):
            table = f"form_{form}"
            rows = self.rows.get(form)
            counted = f", {rows:,} rows" if rows is not None else ""
            out.append(f"{form} ({table}{counted})")
            out.extend(c.line() for c in self.changes if c.form == form)
        n, refused = len(self.changes), len(self.refused)
        out.append(f"{n} change{'s' if n != 1 else ''}"
                   + (f", {refused} refused: nothing will be applied until they are "
                      "resolved" if refused else ""))
        return "\n".join(out)


class Planner:
    def __init__(self, conn: Connection, spec: PortalSpec, models: FormModels) -> None:
        self.conn, self.spec, self.models = conn, spec, models
        self.inspector = inspect(conn)
        self.tables = set(self.inspector.get_table_names())
        self.changes: list[Change] = []
        self.rows: dict[str, int] = {}

    def add(self, form: str, action: str, text: str, **kw: Any) -> None:
        self.changes.append(Change(form, action, text, **kw))

    def count(self, table: Any, *where: Any) -> int:
        return self.conn.execute(select(func.count()).select_from(table).where(*where)
                                 ).scalar_one()

    def sample(self, table: Any, *where: Any) -> str:
        ids = self.conn.execute(select(table.c.id).where(*where).order_by(table.c.id)
                                .limit(SAMPLE_IDS)).scalars().all()
        return ", ".join(map(str, ids))

    def plan(self) -> Plan:
        state = read_state(self.conn)
        bootstrap = state is None
        if state is None:
            state = self.adopt()
        for form in self.spec.forms:
            self.plan_form(form, state.get(form.key))
        for key, old in state.items():
            if key not in {f.key for f in self.spec.forms} and old.status == "active":
                rows = self.existing_rows(old.table)
                self.add(key, "retire_form", f"retire form {key}: table {old.table} and its "
                         f"{rows:,} rows kept, hidden from screens")
        return Plan(self.changes, self.rows, self.spec, bootstrap)

    def adopt(self) -> dict[str, FormState]:
        """A database made before plans were recorded: its live tables and columns count as
        applied. Columns that match a field take that field's spec; any other column is
        adopted under its own name with a type read from the database, so a rename or a
        retirement in the same edit is still recognised."""
        state: dict[str, FormState] = {}
        for form in self.spec.forms:
            if form.table not in self.tables:
                continue
            by_column = {f.column: f for f in form.fields}
            fields: dict[str, FieldState] = {}
            for col in self.inspector.get_columns(form.table):
                name = col["name"]
                if name in SYSTEM_COLUMNS or name == STATE_COLUMN or name in SLA_COLUMNS:
                    continue
                if name in by_column:
                    f = by_column[name]
                    fields[f.key] = FieldState(f.key, name, snapshot(f), "active")
                else:
                    key = name[:-3] if name.endswith("_id") else name
                    fields[key] = FieldState(key, name, inferred_snapshot(col), "active")
            state[form.key] = FormState(form.key, form.table, "active", None, fields)
        return state

    def existing_rows(self, table_name: str) -> int:
        if table_name not in self.tables:
            return 0
        from sqlalchemy import table as light_table

        return self.conn.execute(select(func.count()).select_from(light_table(table_name))
                                 ).scalar_one()

    def plan_form(self, form: FormSpec, old: FormState | None) -> None:
        table = self.models.metadata.tables[form.table]
        if old is None or form.table not in self.tables:
            self.add(form.key, "create_table", f"create table {form.table} "
                     f"({len(form.fields)} fields)", args={"table": form.table})
            return  # with its indexes, trigram ones included (app/schema/apply.py)
        self.rows[form.key] = rows = self.count(table)
        if old.status == "retired":
            self.add(form.key, "unretire_form", f"bring back form {form.key}: its table and "
                     f"{rows:,} rows were kept")
        renamed = {f.renamed_from: f for f in form.fields
                   if f.renamed_from and f.renamed_from in old.fields
                   and f.key not in old.fields}
        for f in form.fields:
            if f.key in old.fields:
                self.plan_field(form, f, old.fields[f.key])
            elif f in renamed.values():
                was = old.fields[f.renamed_from]  # type: ignore[index]
                self.add(form.key, "rename_column", f"rename field {was.key} → {f.key} "
                         f"(column {was.column} → {f.column}), {rows:,} values kept",
                         args={"table": form.table, "old": was.column, "new": f.column,
                               "old_key": was.key, "key": f.key}, risky=True)
                self.plan_field(form, f, was, renamed_column=was.column)
            else:
                self.plan_new_field(form, table, f, rows)
        self.plan_workflow_columns(form, table)
        self.plan_system_indexes(form, table)
        for key, was in old.fields.items():
            if was.status == "active" and key not in {f.key for f in form.fields} \
                    and key not in renamed:
                self.add(form.key, "retire_field", f"retire field {key}: column {was.column} "
                         f"and its values kept, hidden from screens",
                         args={"key": key})

    def plan_workflow_columns(self, form: FormSpec, table: Table) -> None:
        """A workflow or SLA added to an existing form: its system columns (existing rows
        start in the initial state; `flask portal sla run` computes their deadlines). A
        workflow removed leaves its columns, unused."""
        live = {c["name"] for c in self.inspector.get_columns(form.table)}
        for name in (STATE_COLUMN, *SLA_COLUMNS):
            if name in table.c and name not in live:
                what = "workflow state" if name == STATE_COLUMN else "SLA"
                self.add(form.key, "add_column", f"add {what} column {name} "
                         f"({table.c[name].type.compile(self.conn.dialect)})",
                         args={"table": form.table, "column": name})

    def plan_system_indexes(self, form: FormSpec, table: Table) -> None:
        """Indexes of the system columns (created_on, the default order) that a table made
        by an earlier version lacks."""
        live = {tuple(ix["column_names"]) for ix in self.inspector.get_indexes(form.table)}
        for name in SYSTEM_COLUMNS:
            if name in table.c and table.c[name].index and (name,) not in live:
                self.add(form.key, "alter_column", f"add index on {name} (lists sort by it)",
                         args={"table": form.table, "column": name, "index": True})
        self.plan_trigram_indexes(form, {str(ix["name"]) for ix in
                                         self.inspector.get_indexes(form.table)})

    def plan_trigram_indexes(self, form: FormSpec, live: set[str]) -> None:
        """PostgreSQL: substring search on search columns and the record name reads a
        trigram index (app/schema/trigram.py)."""
        for column, kind in trigram.missing(self.conn, form, live):
            what = ("prefix index on {0} (names as typed)" if kind == "prefix"
                    else "trigram index on {0} (substring search)").format(column)
            self.add(form.key, "trigram_index", f"add {what}",
                     args={"table": form.table, "column": column, "kind": kind})

    def plan_new_field(self, form: FormSpec, table: Table, f: FieldSpec, rows: int) -> None:
        column = table.c[f.column]
        if f.required and column.server_default is None and rows:
            self.add(form.key, "add_column", f"add field {f.key}: it is required and has no "
                     f"default, but the table holds {rows:,} rows; give it a default or "
                     "make it optional first", refused=True)
            return
        self.add(form.key, "add_column", f"add field {f.key} (column {f.column} "
                 f"{column.type.compile(self.conn.dialect)})",
                 args={"table": form.table, "column": f.column})

    def plan_field(self, form: FormSpec, f: FieldSpec, was: FieldState,
                   renamed_column: str | None = None) -> None:
        """Compare a field with its recorded spec, reading the data as it is stored now."""
        old, new = was.snap, snapshot(f)
        live = renamed_column or was.column
        stored = stored_column(form.table, live, old)
        table = stored.table
        if was.status == "retired":
            self.add(form.key, "unretire_field", f"bring back field {f.key}: column "
                     f"{was.column} kept its values", args={"key": f.key})
        exact = new["type"] in ("decimal", "money") and (
            old.get("precision"), old.get("scale")) != (new["precision"], new["scale"])
        if old["type"] != new["type"] or old.get("form") != new.get("form") or exact:
            self.plan_type(form, table, f, old, stored, live)
        elif new["type"] in ("string", "phone", "email") and old["max_length"] != new[
                "max_length"]:
            self.plan_length(form, table, f, old, stored, live)
        if new["choices"] != old["choices"] and new["type"] in ("choice", "multi_choice"):
            self.plan_choices(form, table, f, old, new, stored)
        if new["required"] and not old["required"]:
            empty = self.count(table, stored.is_(None))
            if empty:
                self.add(form.key, "alter_column", f"make {f.key} required: {empty:,} rows "
                         f"have no value (ids {self.sample(table, stored.is_(None))})",
                         refused=True)
            else:
                self.add(form.key, "alter_column", f"make {f.key} required (NOT NULL)",
                         args={"table": form.table, "column": live, "nullable": False},
                         risky=True)
        elif old["required"] and not new["required"]:
            self.add(form.key, "alter_column", f"make {f.key} optional (allow empty)",
                     args={"table": form.table, "column": live, "nullable": True})
        if new["unique"] and not old["unique"]:
            dupes = self.conn.execute(select(func.count()).select_from(
                select(stored).where(stored.is_not(None)).group_by(stored)
                .having(func.count() > 1).subquery())).scalar_one()
            if dupes:
                self.add(form.key, "alter_column", f"make {f.key} unique: {dupes:,} values "
                         "appear more than once", refused=True)
            else:
                self.add(form.key, "alter_column", f"make {f.key} unique",
                         args={"table": form.table, "column": live, "unique": True})
        elif old["unique"] and not new["unique"]:
            self.add(form.key, "alter_column", f"allow repeated values in {f.key} (drop the "
                     "unique constraint)", args={"table": form.table, "column": live,
                                                 "unique": False})
        if new["indexed"] != old["indexed"] and not new["unique"]:
            self.add(form.key, "alter_column", f"{'add' if new['indexed'] else 'drop'} "
                     f"index on {f.key}", args={"table": form.table, "column": live,
                                                "index": new["indexed"]})
        wording = [k for k in ("label", "help", "default", "min", "max") if old.get(k) !=
                   new.get(k)]
        old_labels = {c[0]: c[1:] for c in old["choices"]}
        relabelled = [c[0] for c in new["choices"] if c[0] in old_labels
                      and old_labels[c[0]] != c[1:]]
        if relabelled:
            wording.append(f"labels of choice{'s' if len(relabelled) > 1 else ''} "
                           f"{', '.join(relabelled)}")
        if wording:
            self.add(form.key, "note", f"{f.key}: {', '.join(wording)} changed "
                     "(no database change)")

    def plan_length(self, form: FormSpec, table: Table, f: FieldSpec, old: dict,
                    stored: Any, live: str) -> None:
        before, after = old["max_length"] or 0, f.max_length or 0
        if after >= before:
            self.add(form.key, "alter_column", f"widen {f.key} from {before} to {after} "
                     "characters", args={"table": form.table, "column": live,
                                         "type_of": f.key})
            return
        too_long = func.length(stored) > after
        n = self.count(table, too_long)
        if n:
            self.add(form.key, "alter_column", f"shorten {f.key} from {before} to {after} "
                     f"characters: {n:,} rows are longer (ids {self.sample(table, too_long)})",
                     refused=True)
        else:
            self.add(form.key, "alter_column", f"shorten {f.key} from {before} to {after} "
                     "characters (every stored value fits)",
                     args={"table": form.table, "column": live, "type_of": f.key},
                     risky=True)

    def plan_type(self, form: FormSpec, table: Table, f: FieldSpec, old: dict, stored: Any,
                  live: str) -> None:
        label = f"change type of {f.key} from {old['type']} to {f.type}"
        if old["type"] == f.type:  # decimal/money: digits (stored exactly, so converted)
            label = (f"change {f.key} from {old.get('precision')} digits with "
                     f"{old.get('scale')} decimals to {f.precision} with {f.scale}")
        reason = can_convert(old, f)
        if reason:
            self.add(form.key, "convert_column", f"{label}: {reason}", refused=True)
            return
        bad_ids, total = check_values(self.conn, stored, old, f)
        if bad_ids:
            self.add(form.key, "convert_column", f"{label}: {total:,} rows do not convert "
                     f"(ids {', '.join(map(str, bad_ids[:SAMPLE_IDS]))})", refused=True)
            return
        self.add(form.key, "convert_column", f"{label} (every stored value converts)",
                 args={"table": form.table, "form": form.key, "column": live, "key": f.key,
                       "old": old}, risky=True)

    def plan_choices(self, form: FormSpec, table: Table, f: FieldSpec, old: dict, new: dict,
                     stored: Any) -> None:
        removed = [c[0] for c in old["choices"] if c[0] not in {n[0] for n in new["choices"]}]
        added = [c[0] for c in new["choices"] if c[0] not in {o[0] for o in old["choices"]}]
        for value in removed:
            if f.type == "multi_choice":
                used = self.count(table, (func.concat(",", stored, ",")).contains(
                    f",{value},"))
            else:
                used = self.count(table, stored == value)
            if used:
                self.add(form.key, "note", f"remove choice '{value}' of {f.key}: {used:,} "
                         "rows still use it; change them first", refused=True)
            else:
                self.add(form.key, "note", f"remove choice '{value}' of {f.key} (no row uses "
                         "it; no database change)")
        if added:
            self.add(form.key, "note", f"add choice{'s' if len(added) > 1 else ''} "
                     f"{', '.join(added)} to {f.key} (no database change)")


def inferred_snapshot(col: Any) -> dict[str, Any]:
    """A minimal spec for a live column no field describes (adopted databases only)."""
    kind = type(col["type"]).__name__.lower()
    guess = {"varchar": "string", "string": "string", "text": "text", "integer": "integer",
             "biginteger": "integer", "numeric": "decimal", "date": "date",
             "datetime": "datetime", "timestamp": "datetime", "boolean": "boolean"}
    ftype = next((v for k, v in guess.items() if kind.startswith(k)), "text")
    return {"type": ftype, "column": col["name"], "required": not col["nullable"],
            "unique": False, "indexed": False,
            "max_length": getattr(col["type"], "length", None), "precision": 12, "scale": 2,
            "min": None, "max": None, "form": None, "label": [col["name"], col["name"]],
            "help": None, "choices": [], "default": None}


def make_plan(conn: Connection, spec: PortalSpec, models: FormModels) -> Plan:
    return Planner(conn, spec, models).plan()
