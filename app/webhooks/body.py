"""What a hook sends: the portal's JSON body (the record as the API shows it, sensitive fields
masked) or a group robot's text / markdown message, built when the event happens."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from flask_babel import force_locale

from app.config.lint.webhooks import PLACEHOLDER
from app.db.titles import part, title
from app.fieldtypes.registry import mask, to_json
from app.spec import STATE_COLUMN, FieldSpec, FormSpec, WebhookSpec

SYSTEM = ("version", "created_on", "changed_on")


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value) if isinstance(value, Decimal) else value


def field_json(field: FieldSpec, record: Any) -> Any:
    """A field's value as the API answers it to a role that may not reveal: references and
    users as ids, sensitive values masked."""
    if field.stores_id:
        return getattr(record, field.column)
    value = getattr(record, field.key)
    if field.sensitive:
        return mask(field, value) or None
    return to_json(field, value)


def record_json(hook: WebhookSpec, form: FormSpec, record: Any) -> dict[str, Any]:
    """The record: id, display name, state, system columns and the hook's fields."""
    out: dict[str, Any] = {"id": record.id, "display": title(record)}
    if form.workflow is not None:
        out["state"] = getattr(record, STATE_COLUMN)
    out.update({name: _plain(getattr(record, name)) for name in SYSTEM})
    wanted = set(hook.fields) if hook.fields else None
    for field in form.fields:
        if wanted is None or field.key in wanted:
            out[field.key] = field_json(field, record)
    return out


def json_body(hook: WebhookSpec, form: FormSpec, record: Any, event: str,
              details: dict[str, Any], delivery_id: str, at: dt.datetime) -> str:
    """The body of a json hook: compact UTF-8 JSON, keys in a fixed order."""
    body: dict[str, Any] = {"event": event, "hook": hook.key, "form": form.key,
                            "record": record_json(hook, form, record)}
    if event == "transition":
        body["transition"] = {k: details.get(k) for k in ("transition", "from", "to",
                                                          "comment", "user")}
    elif event == "sla_breach":
        body["sla"] = {"breached": details.get("breached", [])}
    body["occurred_at"] = at.isoformat(timespec="seconds")
    body["delivery_id"] = delivery_id
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=str)


def message_text(hook: WebhookSpec, form: FormSpec, record: Any, event: str,
                 details: dict[str, Any]) -> str:
    """The robot message: each {name} replaced by the record's value as a page shows it
    (choices by label, records by their name, sensitive values masked), in Chinese."""
    with force_locale("zh"):
        extra = {"id": str(record.id), "display": title(record), "event": event,
                 "form": form.label.get("zh"), "transition": "", "state": ""}
        if form.workflow is not None:
            state = getattr(record, STATE_COLUMN)
            found = form.workflow.state(state) if state else None
            extra["state"] = found.label.get("zh") if found else (state or "")
            step = form.workflow.transition(details.get("transition") or "")
            extra["transition"] = step.label.get("zh") if step else ""

        def fill(match: Any) -> str:
            name = match.group(1).strip()
            if name in extra:
                return extra[name]
            return part(record, form, name) if any(f.key == name for f in form.fields) \
                else match.group(0)
        return PLACEHOLDER.sub(fill, hook.message)


def robot_body(hook: WebhookSpec, text: str) -> str:
    """A 企业微信 or 钉钉 group robot's message (their documented JSON shapes)."""
    if not hook.markdown:
        body: dict[str, Any] = {"msgtype": "text", "text": {"content": text}}
    elif hook.format == "wecom":
        body = {"msgtype": "markdown", "markdown": {"content": text}}
    else:  # dingtalk: a markdown message has a title (shown in the notification)
        body = {"msgtype": "markdown",
                "markdown": {"title": text.splitlines()[0][:64] if text else hook.key,
                             "text": text}}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def build(hook: WebhookSpec, form: FormSpec, record: Any, event: str,
          details: dict[str, Any], delivery_id: str, at: dt.datetime) -> str:
    """The request body the outbox stores for this hook and event."""
    if hook.format == "json":
        return json_body(hook, form, record, event, details, delivery_id, at)
    return robot_body(hook, message_text(hook, form, record, event, details))
