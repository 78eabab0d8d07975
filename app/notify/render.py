"""A rule's title and text for one recipient: each {name} replaced by the record's value as a
page shows it in the recipient's language (choices by label, records by their name, users by
full name, sensitive values masked), and the group robots' message bodies."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from app.config.lint.webhooks import PLACEHOLDER
from app.db.titles import part, title
from app.spec import STATE_COLUMN, FormSpec, Label, NotificationSpec

CLOCK_LABELS = {"first_response": _l("first-response deadline"),
                "resolution": _l("resolution deadline")}
TITLE_MAX = 300


def _label(label: Label, lang: str) -> str:
    return label.en if lang == "en" else label.zh


def extras(form: FormSpec, record: Any, details: dict[str, Any], lang: str) -> dict[str, str]:
    """The names besides fields: id, display, state, form, transition, comment, user, due,
    deadline (call inside force_locale)."""
    out = {"id": str(record.id), "display": title(record), "form": _label(form.label, lang),
           "transition": "", "state": "", "comment": str(details.get("comment") or ""),
           "user": str(details.get("user_name") or details.get("user") or ""),
           "due": "", "deadline": ""}
    if form.workflow is not None:
        state = getattr(record, STATE_COLUMN)
        found = form.workflow.state(state) if state else None
        out["state"] = _label(found.label, lang) if found else (state or "")
        step = form.workflow.transition(details.get("transition") or "")
        out["transition"] = _label(step.label, lang) if step else ""
    due = details.get("due")
    if isinstance(due, dt.datetime):
        out["due"] = due.strftime("%Y-%m-%d %H:%M")
    clocks = details.get("clock") or (details.get("breached") or [None])[0]
    if clocks in CLOCK_LABELS:
        out["deadline"] = str(CLOCK_LABELS[clocks])
    return out


def fill(template: str, form: FormSpec, record: Any, names: dict[str, str]) -> str:
    def one(match: Any) -> str:
        name = match.group(1).strip()
        if name in names:
            return names[name]
        if any(f.key == name for f in form.fields):
            return part(record, form, name)
        return str(match.group(0))
    return PLACEHOLDER.sub(one, template)


def render(rule: NotificationSpec, form: FormSpec, record: Any, details: dict[str, Any],
           lang: str) -> tuple[str, str]:
    """(title, text) of the rule for the record, in `lang` (zh or en)."""
    with force_locale(lang):
        names = extras(form, record, details, lang)
        head = fill(_label(rule.title, lang), form, record, names).strip()[:TITLE_MAX]
        text = fill(_label(rule.text, lang), form, record, names).strip() if rule.text else ""
    return head, text


def robot_body(rule: NotificationSpec, head: str, text: str) -> str:
    """A 企业微信 or 钉钉 robot's text message (their documented JSON shape)."""
    content = f"{head}\n{text}" if text else head
    body: dict[str, Any] = {"msgtype": "text", "text": {"content": content}}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))
