"""Checks of outbound webhooks (config/webhooks/, a pack's webhooks/), built into WebhookSpec:
keys (E020), the form (E070), the condition (E063, E064), and everything else about a hook
(E073): events the form can have, transitions and states of its workflow, where it posts, its
secret, the robot message's placeholders and the fields of a JSON body."""

from __future__ import annotations

import difflib
import re
from typing import Any

from app.config.errors import Problem
from app.config.lint.common import to_label
from app.config.loader import keypath
from app.config.source import LDict, format_path
from app.config.webhook_keys import EVENTS, ROBOTS
from app.spec import FormSpec, Label, WebhookSpec

ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
# What a robot message may name besides the form's fields.
MESSAGE_NAMES = ("id", "display", "state", "event", "form", "transition")


def placeholders(template: str) -> list[str]:
    """The names a message template puts in braces, in order."""
    return [m.group(1).strip() for m in PLACEHOLDER.finditer(template)]


class WebhookRules:
    """Mixed into the Linter (after DashboardRules, whose form lookup it shares)."""

    raw: Any
    problems: list[Any]
    add: Any
    unique_keys: Any
    form_of: Any
    check_condition: Any

    def build_webhooks(self, forms: list[FormSpec]) -> list[WebhookSpec]:
        self.unique_keys(self.raw.webhooks, "webhook", "webhook keys must be unique")
        by_key = {f.key: f for f in forms}
        return [w for w in (self.build_webhook(raw, by_key) for raw in self.raw.webhooks)
                if w is not None]

    def hook_problem(self, raw: LDict, key: str | None, message: str, hint: str = "",
                     item: int | None = None) -> None:
        if item is None or key is None:
            self.add("PORTAL-E073", raw, key, message, hint, value=key is not None)
            return
        where = raw[key].where(item)  # the list item itself
        self.problems.append(Problem("PORTAL-E073", where.file, where.line, where.column,
                                     format_path(keypath(raw, key) + (item,)), message, hint))

    def build_webhook(self, raw: LDict, forms: dict[str, FormSpec]) -> WebhookSpec | None:
        form = self.form_of(raw, forms)
        if form is None:
            return None
        before = len(self.problems)
        fmt = raw.get("format", "json")
        self.check_events(raw, form)
        self.check_target(raw, fmt)
        names = [f.key for f in form.fields]
        if "condition" in raw:
            states = [s.key for s in form.workflow.states] if form.workflow else []
            self.check_condition(raw, raw["condition"], {f.key: f for f in form.fields},
                                 states)
        if fmt in ROBOTS:
            self.check_message(raw, names)
            if "fields" in raw:
                self.hook_problem(raw, "fields", "'fields' applies to format json; a robot "
                                  "sends its message", "name the fields in the message")
        else:
            for key in ("message", "markdown"):
                if key in raw:
                    self.hook_problem(raw, key, f"'{key}' applies to the wecom and dingtalk "
                                      "robots only", "format json sends the record's fields")
            for i, name in enumerate(raw.get("fields", [])):
                if name not in names:
                    self.unknown_name(raw, "fields", i, form, name, names)
        if len(self.problems) > before:
            return None
        return WebhookSpec(
            raw["key"], to_label(raw["label"]) if "label" in raw else Label(raw["key"],
                                                                             raw["key"]),
            form.key, tuple(dict.fromkeys(raw["events"])), raw.get("url"), raw.get("url_env"),
            raw.get("secret_env"), fmt, raw.get("message", ""), raw.get("markdown", False),
            tuple(raw.get("fields", ())), tuple(raw.get("transitions", ())),
            tuple(raw.get("states", ())), raw.get("condition", ""), raw.get("enabled", True))

    def unknown_name(self, raw: LDict, key: str, i: int, form: FormSpec, name: str,
                     known: list[str], what: str = "field") -> None:
        near = difflib.get_close_matches(name, known, n=1)
        self.hook_problem(raw, key, f"form '{form.key}' has no {what} '{name}'",
                          f"did you mean '{near[0]}'?" if near else
                          f"{what}s of the form: " + ", ".join(known), item=i)

    def check_events(self, raw: LDict, form: FormSpec) -> None:
        events = list(raw["events"])
        if not events:
            self.hook_problem(raw, "events", "a webhook reports at least one event",
                              "events: " + ", ".join(EVENTS))
        for i, event in enumerate(events):
            if event not in EVENTS:
                near = difflib.get_close_matches(event, EVENTS, n=1)
                self.hook_problem(raw, "events", f"unknown event '{event}'",
                                  f"did you mean '{near[0]}'?" if near else
                                  "events: " + ", ".join(EVENTS), item=i)
            elif event == "transition" and form.workflow is None:
                self.hook_problem(raw, "events", f"form '{form.key}' has no workflow: it has "
                                  "no transition events", item=i)
            elif event == "sla_breach" and form.sla is None:
                self.hook_problem(raw, "events", f"form '{form.key}' has no SLA: it has no "
                                  "sla_breach events", item=i)
        workflow = form.workflow
        for key, what, known in (
                ("transitions", "transition",
                 [t.key for t in workflow.transitions] if workflow else []),
                ("states", "state", [s.key for s in workflow.states] if workflow else [])):
            if key not in raw:
                continue
            if "transition" not in events:
                self.hook_problem(raw, key, f"'{key}' narrows transition events, and the "
                                  "hook reports none", "add transition to events")
                continue
            for i, name in enumerate(raw[key]):
                if workflow is not None and name not in known:
                    self.unknown_name(raw, key, i, form, name, known, what)

    def check_target(self, raw: LDict, fmt: str) -> None:
        if ("url" in raw) == ("url_env" in raw):
            self.hook_problem(raw, None, "a webhook needs exactly one of 'url' and 'url_env'",
                              "url_env names the environment variable holding the URL "
                              "(robot URLs carry their access token)")
        if "url" in raw and not re.match(r"^https?://[^\s/]+", raw["url"]):
            self.hook_problem(raw, "url", f"'{raw['url']}' is not an http:// or https:// URL")
        for key in ("url_env", "secret_env"):
            if key in raw and not ENV_NAME.match(raw[key]):
                self.hook_problem(raw, key, f"'{raw[key]}' is not the name of an environment "
                                  "variable", "letters, digits and '_', e.g. "
                                  "PORTAL_WEBHOOK_SECRET")
        if fmt == "json" and "secret_env" not in raw:
            self.hook_problem(raw, None, "format json needs 'secret_env': its deliveries are "
                              "signed", "e.g. secret_env: PORTAL_WEBHOOK_SECRET, and set "
                              "that variable on every server")
        if fmt == "wecom" and "secret_env" in raw:
            self.hook_problem(raw, "secret_env", "企业微信 (wecom) robots are not signed",
                              "remove secret_env; keep the robot's URL in url_env")

    def check_message(self, raw: LDict, names: list[str]) -> None:
        if "message" not in raw or not raw["message"].strip():
            self.hook_problem(raw, None if "message" not in raw else "message",
                              f"a {raw.get('format')} robot needs its 'message'",
                              "e.g. message: \"新投诉 {ticket_no}: {customer}\"")
            return
        known = names + list(MESSAGE_NAMES)
        for name in placeholders(raw["message"]):
            if name not in known:
                near = difflib.get_close_matches(name, known, n=1)
                self.hook_problem(raw, "message", f"unknown placeholder '{{{name}}}'",
                                  f"did you mean '{{{near[0]}}}'?" if near else
                                  "a field key of the form, or " + ", ".join(MESSAGE_NAMES))
