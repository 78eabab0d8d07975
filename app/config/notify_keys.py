"""The YAML keys of notification rules (config/notifications/*.yaml and a pack's
notifications/), declared once: the linter checks structure against them (app/config/keys.py
merges them into SECTIONS) and the README's key reference is generated from them."""

from __future__ import annotations

from app.config.key import Key

EVENTS = ("assigned", "approval_waiting", "transition", "deadline_near", "deadline_missed",
          "escalated")
RECIPIENTS = ("assignee", "creator", "requester", "approvers")
CHANNELS = ("portal", "email", "robot")
ROBOTS = ("wecom", "dingtalk")
# What a title or text may name besides the form's fields.
MESSAGE_NAMES = ("id", "display", "state", "form", "transition", "comment", "user", "due",
                 "deadline")

NOTIFICATION = (
    Key("key", "key", "Stable identifier of the rule (the notifications and deliveries it "
        "makes name it).", required=True),
    Key("label", "label", "Its name on 通知设置 and in the admin's lists; the key when "
        "missing."),
    Key("form", "key", "The form whose records it watches.", required=True),
    Key("events", "keys", "When it tells: assigned (a user field with `assignee: true` got a "
        "new user), approval_waiting (the record entered a state where an approval step "
        "starts whose condition holds), transition (a workflow step completed; narrowed by "
        "transitions / states), deadline_near (an SLA deadline is `before` away), "
        "deadline_missed (the SLA run marked a missed deadline), escalated (the SLA run "
        "escalated the record).", required=True),
    Key("transitions", "keys", "With transition: only these transitions (their keys)."),
    Key("states", "keys", "With transition: only transitions into these states."),
    Key("before", "string", "With deadline_near (required): how long before the deadline, "
        "e.g. 2h, 30m, 1d (calendar time)."),
    Key("recipients", "keys", "Who is told: assignee (the record's assignee field), creator "
        "(who registered it), requester (the workflow's requester field), approvers (with "
        "approval_waiting: the users holding the role whose approval is awaited). The user "
        "whose action caused the event is never told of it."),
    Key("roles", "keys", "Also every active user holding one of these roles directly (not "
        "by inheritance)."),
    Key("channels", "keys", "How: portal (the bell and 我的通知; always kept), email (to each "
        "recipient's address, unless they turned e-mail off), robot (one message to a "
        "企业微信 / 钉钉 group robot: needs `robot` and `robot_url_env`).",
        default="[portal]"),
    Key("title", "label", "The notification's title, with field keys in braces, e.g. "
        "{zh: \"投诉 {ticket_no} 已分派给您\", en: \"Complaint {ticket_no} was assigned to "
        "you\"}; also {id}, {display}, {state}, {form}, {transition}, {comment}, {user}, "
        "{due}, {deadline}. Sensitive fields show masked.", required=True),
    Key("text", "label", "The body (e-mail text, robot message, the list's second line), "
        "with placeholders like the title."),
    Key("robot", "string", "With the robot channel: wecom (企业微信) or dingtalk (钉钉).",
        allowed=ROBOTS),
    Key("robot_url_env", "string", "With the robot channel: the environment variable holding "
        "the robot's URL (it carries the access token)."),
    Key("robot_secret_env", "string", "With a dingtalk robot: the environment variable "
        "holding its 加签 secret (SEC…), if it has one."),
    Key("enabled", "boolean", "false: the rule tells nobody (messages already queued are "
        "still sent).", default=True),
)

NOTIFY_SECTIONS = {"notification": NOTIFICATION}
NOTIFY_TITLES = {"notification": "Notification rule (config/notifications/<key>.yaml, or "
                 "notifications/ of a pack)"}
