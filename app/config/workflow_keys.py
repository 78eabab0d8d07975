"""The YAML keys of workflows, SLA deadlines and the working-day calendar, declared once.

Part of the key declarations of app/config/keys.py (which merges these sections into SECTIONS): the
linter checks structure against them and the README's key reference is generated from them.
"""

from __future__ import annotations

from app.config.key import Key

COLOURS = ("grey", "blue", "teal", "green", "orange", "red", "purple")
COMMENT = ("required", "optional", "none")
CALENDARS = ("calendar", "working_days")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

WORKFLOW = (
    Key("states", "list:state", "The states a record moves through; exactly one is "
        "`initial`. The record's state is stored in its `state` column, shown as a coloured "
        "badge and changed only by transitions.", required=True),
    Key("transitions", "list:transition", "How a record moves from state to state, and "
        "who may move it.", required=True),
    Key("requester", "key", "A user field naming who proposed the record: with "
        "`no_self_approval` that user may not approve it either (the creator never may)."),
)
STATE = (
    Key("key", "key", "Stable identifier stored in the record's `state` column.",
        required=True),
    Key("label", "label", "What users see on the badge.", required=True),
    Key("initial", "boolean", "New records start here (exactly one state).", default=False),
    Key("final", "boolean", "Nothing leaves this state: no transition may start from it.",
        default=False),
    Key("locked", "boolean", "Records in this state cannot be edited or deleted (screens "
        "and API); only transitions move them on. Final states are always locked.",
        default=False),
    Key("colour", "string", "Badge colour.", default="grey", allowed=COLOURS),
)
TRANSITION = (
    Key("key", "key", "Stable identifier of the transition (URL and history).",
        required=True),
    Key("label", "label", "Button text.", required=True),
    Key("from", "states", "The state(s) it starts from: a state key, a list of them, or "
        "'*' for every state that is neither final nor its `to`.", required=True),
    Key("to", "key", "The state it leads to.", required=True),
    Key("roles", "keys", "Roles that may fire it (roles inheriting them too; admins "
        "always may).", required=True),
    Key("condition", "string", "When it is offered, over the record's fields and the "
        "current user, e.g. `amount > 500` or `handler == user.id`. A small safe "
        "language (see docs/workflows.md), never Python."),
    Key("required_fields", "keys", "Fields that must hold a value before it fires; the "
        "dialog asks for the ones still empty."),
    Key("comment", "string", "Whether the dialog's comment is required, optional or not "
        "asked for.", default="optional", allowed=COMMENT),
    Key("approvals", "section:approvals", "An approval step: the transition fires once "
        "enough distinct users have approved."),
    Key("no_self_approval", "boolean", "The record's creator (and its `requester`) may "
        "not fire it.", default=False),
)
APPROVALS = (
    Key("count", "integer", "How many distinct users must approve (N of the M users "
        "holding the role).", required=True),
    Key("role", "key", "Only approvals of users holding this role (or a role inheriting "
        "it) count; by default any role allowed to fire the transition."),
)
SLA = (
    Key("targets", "list:sla_target", "Deadlines per priority.", required=True),
    Key("priority_field", "key", "A choice field whose value picks the target (e.g. "
        "priority); without it the target without `priority` applies to every record."),
    Key("calendar", "string", "Count calendar time, or only the working days of "
        "config/calendar.yaml.", default="calendar", allowed=CALENDARS),
    Key("responded_states", "keys", "Entering one of these states meets the "
        "first-response deadline; default: any state but the initial one."),
    Key("resolved_states", "keys", "Entering one of these states meets the resolution "
        "deadline; default: the final states."),
    Key("escalation", "section:escalation", "What `flask portal sla run` does to a record "
        "that missed a deadline (besides marking the breach and recording an event)."),
)
SLA_TARGET = (
    Key("priority", "string", "The priority field's choice value this target is for; "
        "omit it for the default target."),
    Key("first_response", "string", "Time to the first response: e.g. 30m, 4h, 1d, "
        "1d 12h."),
    Key("resolution", "string", "Time to resolution, same format."),
)
ESCALATION = (
    Key("priority", "string", "Raise the priority field to this choice value."),
    Key("assign_role", "key", "Reassign the form's assignee field to a user holding this "
        "role: one sharing a team with the current assignee (or the creator), the one "
        "with the fewest open records."),
)
CALENDAR_FILE = (
    Key("weekend", "keys", "Days off every week.", default=["saturday", "sunday"]),
    Key("holidays", "list:calendar_day", "Public holidays (放假): no deadline clock runs "
        "on them."),
    Key("workdays", "list:calendar_day", "Make-up workdays (调休上班): weekend days worked "
        "instead of a holiday."),
    Key("hours", "times", "Office hours of a working day, e.g. ['09:00-12:00', "
        "'13:30-18:00']: working-day deadlines then count office time only (a day, `d`, is "
        "one working day's office hours; `h` and `m` are office time). Without it the "
        "whole working day counts, 00:00 to 24:00."),
)
CALENDAR_DAY = (
    Key("date", "date", "The day (YYYY-MM-DD).", required=True),
    Key("to", "date", "Last day of a range starting at `date`."),
    Key("label", "string", "What it is, e.g. 国庆节."),
)


def _override(keys: tuple[Key, ...]) -> tuple[Key, ...]:
    """A pack's version of a section: only `key` is required."""
    return tuple(Key(k.name, k.kind, k.help, required=(k.name == "key"), default=k.default,
                     allowed=k.allowed) for k in keys)


WORKFLOW_OVERRIDE = (
    Key("states", "list:state_override", "States added, or changed by key."),
    Key("transitions", "list:transition_override", "Transitions added, or changed by key "
        "(a key given replaces the base value, e.g. the whole roles list)."),
    WORKFLOW[2],
)

WORKFLOW_SECTIONS = {
    "workflow": WORKFLOW, "state": STATE, "transition": TRANSITION, "approvals": APPROVALS,
    "sla": SLA, "sla_target": SLA_TARGET, "escalation": ESCALATION,
    "calendar_file": CALENDAR_FILE, "calendar_day": CALENDAR_DAY,
    "workflow_override": WORKFLOW_OVERRIDE, "state_override": _override(STATE),
    "transition_override": _override(TRANSITION),
}
WORKFLOW_TITLES = {
    "workflow": "Workflow (a form's `workflow`)",
    "state": "Workflow state (an item of states)",
    "transition": "Transition (an item of transitions)",
    "approvals": "Approvals (a transition's `approvals`)",
    "sla": "SLA (a form's `sla`)",
    "sla_target": "SLA target (an item of targets)",
    "escalation": "Escalation (an SLA's `escalation`)",
    "calendar_file": "Working-day calendar (config/calendar.yaml, optional)",
    "calendar_day": "Calendar day (an item of holidays or workdays)",
    "workflow_override": "Workflow override (a form override's `workflow`)",
    "state_override": "State override (an item of a workflow override's states)",
    "transition_override": "Transition override (an item of a workflow override's "
                           "transitions)",
}
