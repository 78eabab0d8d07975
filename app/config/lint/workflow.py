"""Semantic checks of workflows: states, transitions, conditions, roles, the state graph."""

from __future__ import annotations

import difflib
from typing import Any

from app.config.errors import Problem
from app.config.expressions import ExprError, check, parse
from app.config.lint.common import to_label
from app.config.loader import keypath
from app.config.source import LDict, LList, format_path
from app.spec import (
    SLA_COLUMNS,
    STATE_COLUMN,
    Choice,
    FieldSpec,
    Label,
    StateSpec,
    TransitionSpec,
    WorkflowSpec,
)

Place = tuple[str, int, int]  # a character of a YAML scalar, and its line and column


def _scalar_places(lines: list[str], line: int, column: int) -> list[Place]:
    """The characters of the YAML scalar starting at (line, column) with where each stands:
    quotes and escapes ('' and backslashes) skipped, lines folded, block scalars (| >)
    followed. Approximate: the caller checks the result against the parsed value."""
    start = lines[line - 1][column - 1:column]
    rows: list[list[Place]] = []
    if start in ("|", ">"):
        indent: int | None = None
        for n in range(line + 1, len(lines) + 1):
            text = lines[n - 1]
            lead = len(text) - len(text.lstrip(" "))
            if not text.strip() or (indent is not None and lead < indent):
                break
            indent = lead if indent is None else indent
            rows.append([(ch, n, i + 1) for i, ch in enumerate(text) if i >= indent])
        sep = "\n" if start == "|" else " "
    else:
        quote = start if start in ("'", '"') else ""
        col, sep = column + (1 if quote else 0), " "
        for n in range(line, len(lines) + 1):
            text, row = lines[n - 1], list[Place]()
            # a continuation line's indentation is not part of the value
            i = col - 1 if n == line else len(text) - len(text.lstrip(" \t"))
            while i < len(text):
                ch = text[i]
                if quote and ch == quote and not (quote == "'" and text[i + 1:i + 2] == "'"):
                    rows.append(row)
                    return _joined(rows, sep)
                if not quote and ch == "#" and text[i - 1:i] in (" ", "\t"):
                    break
                skip = 1 if (quote == "'" and ch == "'") or (quote == '"' and ch == "\\") else 0
                row.append((text[i + skip:i + skip + 1], n, i + 1))
                i += 1 + skip
            while row and row[-1][0] in " \t":
                row.pop()
            rows.append(row)
    return _joined(rows, sep)


def _joined(rows: list[list[Place]], sep: str) -> list[Place]:
    """Rows of characters joined into one, the separator placed after each row's end."""
    out: list[Place] = []
    for row in rows:
        if out:
            last = out[-1]
            out.append((sep, last[1], last[2] + 1))
        out.extend(row)
    return out


def _source_position(file: str, line: int, column: int, text: str,
                     offset: int) -> tuple[int, int]:
    """Where character `offset` of the condition `text`, a YAML scalar written at (line,
    column), stands in the file, so an expression error points into the expression; the
    scalar's own position when its source cannot be followed."""
    try:
        with open(file, encoding="utf-8") as fh:
            lines = fh.read().splitlines()
        places = _scalar_places(lines, line, column)
    except (OSError, IndexError):
        return line, column
    core = text.rstrip()
    if "".join(ch for ch, _, _ in places[:len(core)]) != core or not core:
        return line, column
    _, at_line, at_column = places[min(offset, len(core) - 1)]
    return at_line, at_column + max(0, offset - len(core) + 1)


class WorkflowRules:
    """Mixed into the Linter: builds a form's WorkflowSpec."""

    raw: Any
    problems: list[Problem]
    add: Any
    unknown: Any

    def workflow_columns(self, raw: LDict) -> list[str]:
        """System columns a form with a workflow / SLA may name in its column lists."""
        out = [STATE_COLUMN] if isinstance(raw.get("workflow"), LDict) else []
        return out + (list(SLA_COLUMNS) if isinstance(raw.get("sla"), LDict) else [])

    def check_reserved_columns(self, raw: LDict, fields: list[FieldSpec]) -> None:
        taken = set(self.workflow_columns(raw))
        for fraw in raw["fields"]:
            if fraw["key"] in taken:
                self.add("PORTAL-E021", fraw, "key", f"'{fraw['key']}' is reserved: the "
                         "form's workflow keeps its state and deadlines in these columns",
                         "rename the field")

    # -- workflow ------------------------------------------------------------------------
    def build_workflow(self, raw: LDict, fields: list[FieldSpec]) -> WorkflowSpec | None:
        wraw = raw.get("workflow")
        if not isinstance(wraw, LDict):
            return None
        before = len(self.problems)
        states = self.build_states(wraw)
        keys = [s.key for s in states]
        finals = {s.key for s in states if s.final}
        # Every declared field, built or not: one with a problem of its own is not also
        # reported as unknown wherever the workflow names it (None: not built).
        by_field: dict[str, FieldSpec | None] = {f["key"]: None for f in raw["fields"]}
        by_field |= {f.key: f for f in fields}
        conditions = dict(by_field)  # conditions may also read the computed values
        conditions |= {c["key"]: None for c in raw.get("computed") or []
                       if isinstance(c, LDict) and c.get("key") not in by_field}
        role_keys = [r["key"] for r in self.raw.roles]
        transitions: list[TransitionSpec] = []
        seen: set[str] = set()
        for traw in wraw["transitions"]:
            if traw["key"] in seen:
                self.add("PORTAL-E020", traw, "key", f"duplicate transition key "
                         f"'{traw['key']}'", "transition keys must be unique within a form")
                continue
            seen.add(traw["key"])
            built = self.build_transition(traw, keys, finals, by_field, role_keys,
                                          conditions)
            if built is not None:
                transitions.append(built)
        requester = wraw.get("requester")
        if requester is not None:
            if requester not in by_field:
                self.unknown("PORTAL-E031", wraw, "requester", "field", requester,
                             list(by_field))
            elif (spec := by_field[requester]) is not None and spec.type != "user":
                self.add("PORTAL-E041", wraw, "requester", f"'{requester}' is not a user "
                         "field", "requester names the user field of who proposed the record")
        if len(self.problems) > before or not states:
            return None
        workflow = WorkflowSpec(tuple(states), tuple(transitions), requester)
        self.check_graph(wraw, workflow)
        return None if len(self.problems) > before else workflow

    def build_states(self, wraw: LDict) -> list[StateSpec]:

        out: list[StateSpec] = []
        for sraw in wraw["states"]:
            if sraw["key"] in [s.key for s in out]:
                self.add("PORTAL-E020", sraw, "key", f"duplicate state key '{sraw['key']}'",
                         "state keys must be unique within a workflow")
                continue
            if sraw.get("initial") and sraw.get("final"):
                self.add("PORTAL-E060", sraw, "final", f"state '{sraw['key']}' is both "
                         "initial and final", "new records would start where nothing can "
                         "happen to them; remove one of the two", value=False)
            final = bool(sraw.get("final", False))
            out.append(StateSpec(sraw["key"], to_label(sraw["label"]),
                                 initial=bool(sraw.get("initial", False)), final=final,
                                 locked=final or bool(sraw.get("locked", False)),
                                 colour=sraw.get("colour", "grey")))
        initial = [s.key for s in out if s.initial]
        if not initial:
            self.add("PORTAL-E060", wraw, "states", "no state is marked 'initial: true'",
                     "mark the state new records start in", value=False)
        elif len(initial) > 1:
            self.add("PORTAL-E060", wraw, "states", "several states are marked initial: "
                     + ", ".join(initial), "exactly one state is initial", value=False)
        return out

    def state_refs(self, data: LDict, key: str, names: Any, keys: list[str]) -> list[str]:
        """Check state keys named at data[key] (a key or a list); the known ones."""
        items = [names] if isinstance(names, str) else list(names)
        out = []
        for i, name in enumerate(items):
            if name in keys:
                out.append(name)
                continue
            near = difflib.get_close_matches(name, keys, n=1)
            hint = f"did you mean '{near[0]}'?" if near else "states: " + ", ".join(keys)
            if isinstance(names, LList):
                where = names.where(i)
                self.problems.append(Problem(
                    "PORTAL-E061", where.file, where.line, where.column,
                    format_path(keypath(data, key) + (i,)), f"unknown state '{name}'", hint))
            else:
                self.add("PORTAL-E061", data, key, f"unknown state '{name}'", hint)
        return out

    def build_transition(self, traw: LDict, keys: list[str], finals: set[str],
                         by_field: dict[str, FieldSpec | None], role_keys: list[str],
                         conditions: dict[str, FieldSpec | None] | None = None
                         ) -> TransitionSpec | None:

        before = len(self.problems)
        if traw["from"] == "*":  # not the target itself: no silent X → X step
            sources = [k for k in keys if k not in finals and k != traw["to"]]
        else:
            sources = self.state_refs(traw, "from", traw["from"], keys)
            for state in sources:
                if state in finals:
                    self.add("PORTAL-E066", traw, "from", f"transition '{traw['key']}' "
                             f"starts from final state '{state}'", "nothing may leave a "
                             "final state; remove 'final: true' or this source state")
        self.state_refs(traw, "to", traw["to"], keys)
        for i, role in enumerate(traw["roles"]):
            if role not in role_keys:
                where = traw["roles"].where(i)
                near = difflib.get_close_matches(role, role_keys, n=1)
                self.problems.append(Problem(
                    "PORTAL-E032", where.file, where.line, where.column,
                    format_path(keypath(traw, "roles") + (i,)), f"unknown role '{role}'",
                    f"did you mean '{near[0]}'?" if near else "known: " + ", ".join(
                        role_keys)))
        for i, name in enumerate(traw.get("required_fields") or []):
            if name not in by_field:
                where = traw["required_fields"].where(i)
                near = difflib.get_close_matches(name, list(by_field), n=1)
                self.problems.append(Problem(
                    "PORTAL-E031", where.file, where.line, where.column,
                    format_path(keypath(traw, "required_fields") + (i,)),
                    f"unknown field '{name}'", f"did you mean '{near[0]}'?" if near else
                    "known: " + ", ".join(by_field)))
        condition = traw.get("condition")
        if condition is not None:
            self.check_condition(traw, condition, conditions or by_field, keys)
        count, approver = 0, None
        approvals = traw.get("approvals")
        if isinstance(approvals, LDict):
            count, approver = approvals["count"], approvals.get("role")
            if not 1 <= count <= 20:
                self.add("PORTAL-E043", approvals, "count", f"{count} is out of range",
                         "allowed: 1 to 20 approvals")
            if approver is not None and approver not in role_keys:
                self.unknown("PORTAL-E032", approvals, "role", "role", approver, role_keys)
        if len(self.problems) > before:
            return None
        return TransitionSpec(
            key=traw["key"], label=to_label(traw["label"]), sources=tuple(sources),
            target=traw["to"], roles=tuple(traw["roles"]), condition=condition,
            required_fields=tuple(traw.get("required_fields") or ()),
            comment=traw.get("comment", "optional"), approvals=count,
            approver_role=approver, no_self_approval=traw.get("no_self_approval", False))

    def check_condition(self, traw: LDict, text: str,
                        by_field: dict[str, FieldSpec | None], states: list[str]) -> None:
        # `state` is checked like a choice field whose values are the workflow's states
        names = {**by_field, STATE_COLUMN: FieldSpec(STATE_COLUMN, Label("状态", "State"),
                                                     "choice", choices=tuple(
                                                         Choice(k, Label(k, k))
                                                         for k in states))}
        try:
            errors = check(parse(text), names)
            code = "PORTAL-E064"
        except ExprError as exc:
            errors, code = [exc], "PORTAL-E063"
        where = traw.where("condition", value=True)
        for err in errors:
            line, column = _source_position(where.file, where.line, where.column, text,
                                            err.offset)
            self.problems.append(Problem(code, where.file, line, column,
                                         format_path(keypath(traw, "condition")),
                                         err.message, err.hint))

    def check_graph(self, wraw: LDict, workflow: WorkflowSpec) -> None:
        """Every state reachable from the initial one; no state a record cannot leave."""
        reached, todo = {workflow.initial.key}, [workflow.initial.key]
        while todo:
            here = todo.pop()
            for t in workflow.transitions:
                if here in t.sources and t.target not in reached:
                    reached.add(t.target)
                    todo.append(t.target)
        for state, sraw in zip(workflow.states, wraw["states"], strict=False):
            if state.key not in reached:
                self.add("PORTAL-E065", sraw, "key", f"state '{state.key}' cannot be reached "
                         f"from the initial state '{workflow.initial.key}'",
                         "add a transition leading to it, or remove the state")
            elif not state.final and not any(state.key in t.sources
                                              for t in workflow.transitions):
                self.add("PORTAL-E067", sraw, "key", f"no transition leaves state "
                         f"'{state.key}', which is not final", "records would be stuck "
                         "there: add a transition from it, or mark it 'final: true'")
