"""The YAML keys of a form's computed values and sections, declared once.

Part of the key declarations of app/config/keys.py (which lists these sections in SECTIONS):
the linter checks structure against them and the README's key reference is generated from them.
"""

from __future__ import annotations

from app.config.key import Key

COMPUTED = (
    Key("key", "key", "Identifier, unique among the form's fields and computed values.",
        required=True),
    Key("label", "label", "What it is called on screens.", required=True),
    Key("value", "string", "The formula: the condition language with `A if CONDITION else "
        "B`, days(a, b) and hours(a, b) (from a to b, one decimal) and `today`, `now`, e.g. "
        "hours(created_on, sla_resolved_on) or \"'过期' if days(production_date, today) > "
        "1095 else '保质期内'\". Fields by key; created_on, changed_on, state and the SLA "
        "columns too.", required=True),
    Key("list", "boolean", "A column of the list screen.", default=False),
    Key("help", "label", "Help text on the record page."),
    Key("choices", "list:choice", "The values the formula gives and how each reads in "
        "both languages, e.g. value supervisor shown as 主管审批 / Supervisor."),
)
SECTION = (
    Key("key", "key", "Identifier of the section, unique in the form.", required=True),
    Key("label", "label", "Its heading.", required=True),
    Key("fields", "keys", "Its fields, in order; each field in one section at most.",
        required=True),
    Key("columns", "integer", "1, or 2 to set fields side by side on a wide screen (one "
        "column on a phone; long text spans both).", default=1),
    Key("states", "keys", "Only in these workflow states (record page and edit form); on "
        "the add form only if the initial state is among them."),
)
