"""Checks of notification rules (config/notifications/, a pack's notifications/), built into
NotificationSpec: keys (E020), the form (E070), and everything else about a rule (E076):
events the form can have, transitions and states of its workflow, `before`, recipients and
roles, channels and the robot's settings, and the placeholders of the title and text."""

from __future__ import annotations

import difflib
from typing import Any

from app.config.durations import parse_duration
from app.config.errors import Problem
from app.config.lint.common import to_label
from app.config.lint.webhooks import ENV_NAME, placeholders
from app.config.loader import keypath
from app.config.notify_keys import CHANNELS, EVENTS, MESSAGE_NAMES, RECIPIENTS
from app.config.source import LDict, format_path
from app.spec import FormSpec, Label, NotificationSpec, RoleSpec

CODE = "PORTAL-E076"
SLA_EVENTS = ("deadline_near", "deadline_missed", "escalated")


class NotificationRules:
    """Mixed into the Linter (after WebhookRules, whose helpers it shares)."""

    raw: Any
    problems: list[Any]
    add: Any
    unique_keys: Any
    form_of: Any

    def build_notifications(self, forms: list[FormSpec],
                            roles: list[RoleSpec]) -> list[NotificationSpec]:
        self.unique_keys(self.raw.notifications, "notification",
                         "notification rule keys must be unique")
        by_key = {f.key: f for f in forms}
        role_keys = [r.key for r in roles]
        return [n for n in (self.build_notification(raw, by_key, role_keys)
                            for raw in self.raw.notifications) if n is not None]

    def rule_problem(self, raw: LDict, key: str | None, message: str, hint: str = "",
                     item: int | None = None) -> None:
        if item is None or key is None:
            self.add(CODE, raw, key, message, hint, value=key is not None)
            return
        where = raw[key].where(item)  # the list item itself
        self.problems.append(Problem(CODE, where.file, where.line, where.column,
                                     format_path(keypath(raw, key) + (item,)), message, hint))

    def near(self, raw: LDict, key: str, i: int, what: str, name: str,
             known: list[str] | tuple[str, ...]) -> None:
        found = difflib.get_close_matches(name, list(known), n=1)
        self.rule_problem(raw, key, f"unknown {what} '{name}'",
                          f"did you mean '{found[0]}'?" if found else
                          f"{what}s: " + ", ".join(known), item=i)

    def build_notification(self, raw: LDict, forms: dict[str, FormSpec],
                           role_keys: list[str]) -> NotificationSpec | None:
        form = self.form_of(raw, forms)
        if form is None:
            return None
        before = len(self.problems)
        events = list(raw["events"])
        self.check_rule_events(raw, form, events)
        seconds = self.check_before(raw, events)
        self.check_recipients(raw, form, events, role_keys)
        channels = list(raw.get("channels", ["portal"]))
        self.check_channels(raw, channels)
        names = [f.key for f in form.fields] + list(MESSAGE_NAMES)
        for key in ("title", "text"):
            if key in raw:
                self.check_rule_template(raw, key, names)
        if len(self.problems) > before:
            return None
        return NotificationSpec(
            raw["key"], to_label(raw["label"]) if "label" in raw else Label(raw["key"],
                                                                             raw["key"]),
            form.key, tuple(dict.fromkeys(events)), to_label(raw["title"]),
            to_label(raw["text"]) if "text" in raw else None,
            tuple(dict.fromkeys(raw.get("recipients", ()))),
            tuple(dict.fromkeys(raw.get("roles", ()))), tuple(dict.fromkeys(channels)),
            tuple(raw.get("transitions", ())), tuple(raw.get("states", ())), seconds,
            raw.get("robot"), raw.get("robot_url_env"), raw.get("robot_secret_env"),
            raw.get("enabled", True))

    def check_rule_events(self, raw: LDict, form: FormSpec, events: list[str]) -> None:
        if not events:
            self.rule_problem(raw, "events", "a notification rule needs at least one event",
                              "events: " + ", ".join(EVENTS))
        for i, event in enumerate(events):
            if event not in EVENTS:
                self.near(raw, "events", i, "event", event, EVENTS)
            elif event in ("transition", "approval_waiting") and form.workflow is None:
                self.rule_problem(raw, "events", f"form '{form.key}' has no workflow: it has "
                                  f"no {event} events", item=i)
            elif event in SLA_EVENTS and form.sla is None:
                self.rule_problem(raw, "events", f"form '{form.key}' has no SLA: it has no "
                                  f"{event} events", item=i)
            elif event == "assigned" and not any(f.assignee for f in form.fields):
                self.rule_problem(raw, "events", f"form '{form.key}' has no assignee field "
                                  "(a user field with assignee: true)", item=i)
        workflow = form.workflow
        for key, what, known in (
                ("transitions", "transition",
                 [t.key for t in workflow.transitions] if workflow else []),
                ("states", "state", [s.key for s in workflow.states] if workflow else [])):
            if key not in raw:
                continue
            if "transition" not in events:
                self.rule_problem(raw, key, f"'{key}' narrows transition events, and the "
                                  "rule has none", "add transition to events")
                continue
            for i, name in enumerate(raw[key]):
                if workflow is not None and name not in known:
                    self.near(raw, key, i, what, name, known)

    def check_before(self, raw: LDict, events: list[str]) -> int | None:
        if "deadline_near" not in events:
            if "before" in raw:
                self.rule_problem(raw, "before", "'before' applies to deadline_near only",
                                  "add deadline_near to events, or remove 'before'")
            return None
        if "before" not in raw:
            self.rule_problem(raw, None, "deadline_near needs 'before': how long before the "
                              "deadline to tell", "e.g. before: 2h")
            return None
        try:
            return parse_duration(str(raw["before"]))
        except ValueError as exc:
            self.rule_problem(raw, "before", str(exc))
            return None

    def check_recipients(self, raw: LDict, form: FormSpec, events: list[str],
                         role_keys: list[str]) -> None:
        for i, name in enumerate(raw.get("recipients", [])):
            if name not in RECIPIENTS:
                self.near(raw, "recipients", i, "recipient", name, RECIPIENTS)
            elif name == "approvers" and "approval_waiting" not in events:
                self.rule_problem(raw, "recipients", "approvers are known for "
                                  "approval_waiting events only", "add approval_waiting to "
                                  "events, or name the roles in 'roles'", item=i)
            elif name == "requester" and (form.workflow is None
                                          or form.workflow.requester is None):
                self.rule_problem(raw, "recipients", f"form '{form.key}' has no requester "
                                  "(workflow: requester)", item=i)
            elif name == "assignee" and not any(f.assignee for f in form.fields):
                self.rule_problem(raw, "recipients", f"form '{form.key}' has no assignee "
                                  "field (a user field with assignee: true)", item=i)
        for i, name in enumerate(raw.get("roles", [])):
            if name not in role_keys:
                self.near(raw, "roles", i, "role", name, role_keys)

    def check_channels(self, raw: LDict, channels: list[str]) -> None:
        if not channels:
            self.rule_problem(raw, "channels", "a notification rule needs at least one "
                              "channel", "channels: " + ", ".join(CHANNELS))
        for i, name in enumerate(channels):
            if name not in CHANNELS:
                self.near(raw, "channels", i, "channel", name, CHANNELS)
        personal = [c for c in channels if c in ("portal", "email")]
        if personal and not raw.get("recipients") and not raw.get("roles"):
            self.rule_problem(raw, None, f"channel {personal[0]} tells people, and the rule "
                              "names none", "add recipients (assignee, creator, requester, "
                              "approvers) or roles")
        robot_keys = [k for k in ("robot", "robot_url_env", "robot_secret_env") if k in raw]
        if "robot" not in channels:
            for key in robot_keys:
                self.rule_problem(raw, key, f"'{key}' applies to the robot channel only",
                                  "add robot to channels, or remove it")
            return
        for key in ("robot", "robot_url_env"):
            if key not in raw:
                self.rule_problem(raw, None, f"the robot channel needs '{key}'",
                                  "e.g. robot: wecom and robot_url_env: "
                                  "PORTAL_WAREHOUSE_ROBOT_URL")
        for key in ("robot_url_env", "robot_secret_env"):
            if key in raw and not ENV_NAME.match(raw[key]):
                self.rule_problem(raw, key, f"'{raw[key]}' is not the name of an environment "
                                  "variable", "letters, digits and '_', e.g. "
                                  "PORTAL_WAREHOUSE_ROBOT_URL")
        if raw.get("robot") == "wecom" and "robot_secret_env" in raw:
            self.rule_problem(raw, "robot_secret_env", "企业微信 (wecom) robots are not signed",
                              "remove robot_secret_env; keep the robot's URL in "
                              "robot_url_env")

    def check_rule_template(self, raw: LDict, key: str, names: list[str]) -> None:
        value = raw[key]
        texts = [value] if isinstance(value, str) else [value[k] for k in ("zh", "en")
                                                         if k in value]
        if not any(str(t).strip() for t in texts):
            self.rule_problem(raw, key, f"the {key} is empty")
        seen: set[str] = set()
        for text in texts:
            for name in placeholders(str(text)):
                if name in names or name in seen:
                    continue
                seen.add(name)
                found = difflib.get_close_matches(name, names, n=1)
                self.rule_problem(raw, key, f"unknown placeholder '{{{name}}}'",
                                  f"did you mean '{{{found[0]}}}'?" if found else
                                  "a field key of the form, or " + ", ".join(MESSAGE_NAMES))
