"""The YAML keys of outbound webhooks (config/webhooks/*.yaml and a pack's webhooks/), declared
once: the linter checks structure against them (app/config/keys.py merges them into SECTIONS)
and the README's key reference is generated from them."""

from __future__ import annotations

from app.config.key import Key

EVENTS = ("created", "updated", "transition", "sla_breach")
FORMATS = ("json", "wecom", "dingtalk")
ROBOTS = ("wecom", "dingtalk")

WEBHOOK = (
    Key("key", "key", "Stable identifier of the hook (deliveries and the audit name it).",
        required=True),
    Key("label", "label", "Its name on the 推送记录 (webhook deliveries) screen; the key "
        "when missing."),
    Key("form", "key", "The form whose records it reports.", required=True),
    Key("events", "keys", "What it reports: created, updated (an edit changed a field; a "
        "workflow step or an SLA run reports as its own event), transition (a workflow "
        "step completed), sla_breach (`flask portal sla run` marked a missed deadline).",
        required=True),
    Key("condition", "string", "Only records meeting this condition (the condition "
        "language of workflows, over the record as it is after the event), e.g. "
        "\"category == 'skin_reaction'\"."),
    Key("transitions", "keys", "With transition: only these transitions (their keys)."),
    Key("states", "keys", "With transition: only transitions into these states."),
    Key("url", "string", "Where it posts, http:// or https://. Robot URLs carry an access "
        "token: prefer url_env."),
    Key("url_env", "string", "The environment variable holding the URL (exactly one of url "
        "and url_env)."),
    Key("secret_env", "string", "The environment variable holding the signing secret: "
        "required for json (X-Portal-Signature, HMAC-SHA256); for dingtalk the robot's "
        "加签 secret (SEC…), if it has one; wecom robots are not signed."),
    Key("format", "string", "json: the portal's signed JSON body; wecom / dingtalk: a "
        "message for a 企业微信 / 钉钉 group robot.", default="json", allowed=FORMATS),
    Key("message", "string", "For robots (required): the message, with field keys in "
        "braces, e.g. \"新投诉 {ticket_no}: {customer} — {description}\" (also {id}, "
        "{display}, {state}, {event}, {form}, {transition}). Sensitive fields show masked."),
    Key("markdown", "boolean", "For robots: send the message as markdown instead of text.",
        default=False),
    Key("fields", "keys", "For json: the fields the body carries; all of the form's when "
        "missing. Sensitive fields are always sent masked."),
    Key("enabled", "boolean", "false: nothing is queued for it (deliveries already queued "
        "are still sent).", default=True),
)

WEBHOOK_SECTIONS = {"webhook": WEBHOOK}
WEBHOOK_TITLES = {"webhook": "Webhook (config/webhooks/<key>.yaml, or webhooks/ of a pack)"}
