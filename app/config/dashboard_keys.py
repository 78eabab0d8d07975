"""The YAML keys of dashboards (config/dashboards/*.yaml and a pack's dashboards/), declared once.

Part of the key declarations of app/config/keys.py (which merges these sections into SECTIONS): the
linter checks structure against them and the README's key reference is generated from them.
"""

from __future__ import annotations

from app.config.key import Key

MEASURES = ("count", "sum", "avg", "min", "max", "p90", "rate")
CHARTS = ("tile", "bar", "hbar", "line", "pie")
PERIODS = ("day", "week", "month")
EVERY = ("day", "week", "month")
TIMES = ("calendar", "working")
UNITS = ("hours", "days")
SIZES = ("small", "half", "full")

DASHBOARD = (
    Key("key", "key", "Stable identifier: the page is /dashboard/<key>/.", required=True),
    Key("label", "label", "Its name in the menu and on the page.", required=True),
    Key("description", "label", "One line shown under the name."),
    Key("roles", "keys", "Roles that see it in the menu (roles inheriting them too; admins "
        "always). Each viewer sees a widget only when they may list its form, and counts "
        "only the records their row scope reaches. Empty: every role that may list one of "
        "its forms."),
    Key("order", "integer", "Position in the 看板 menu (smaller first, then by key).",
        default=100),
    Key("period", "string", "The period shown first: the current day, week (Monday to "
        "Sunday) or month; the page offers the others and any range of dates.",
        default="week", allowed=PERIODS),
    Key("filters", "keys", "Choice fields offered as filters above the page, e.g. "
        "[channel, category]: a value chosen narrows every widget whose form has the field "
        "(and their drill-down lists)."),
    Key("widgets", "list:widget", "Its tiles and charts, in page order.", required=True),
)
WIDGET = (
    Key("key", "key", "Identifier, unique in the dashboard (drill-down links and tests name "
        "it).", required=True),
    Key("label", "label", "Its title on the page.", required=True),
    Key("form", "key", "The form whose records it counts.", required=True),
    Key("measure", "string", "count records; sum, avg, min, max or p90 (the 90th "
        "percentile, nearest rank) of `field` or `duration`; rate: the share of records "
        "meeting `rate`, in percent.", default="count", allowed=MEASURES),
    Key("field", "key", "The number measured: a number field (integer, decimal, money, "
        "rating) or a computed value of the form."),
    Key("duration", "section:duration", "The time measured between two date/time fields, "
        "in calendar or working time."),
    Key("rate", "string", "The condition a record meets to count in the rate (the condition "
        "language of workflows, plus has(form): another form has a record referring to "
        "it), e.g. \"state in ['resolved', 'closed']\"."),
    Key("where", "string", "Only records meeting this condition count (the base of a "
        "rate), e.g. \"category == 'quality'\"."),
    Key("date", "key", "The date or date-time field the period applies to.",
        default="created_on"),
    Key("period", "boolean", "false: all records, whatever their date (an open backlog).",
        default=True),
    Key("group_by", "key", "Split the figure by a choice, yes/no, user or reference field, "
        "`state`, a rating, a computed value, a date field (with `every`), the measured "
        "value itself (`value`, with `bins`), or `team`: the teams of each record's creator "
        "and assignees (a record counts once in each, one of no team in none; a field "
        "named team wins)."),
    Key("every", "string", "With a date group_by: one bar or point per day, week or month "
        "of the period.", allowed=EVERY),
    Key("bins", "numbers", "With group_by: value, the upper limits of the groups "
        "(e.g. [1, 3, 7] days: ≤1, 1–3, 3–7, >7)."),
    Key("top", "integer", "Only the N largest groups."),
    Key("chart", "string", "tile: one figure (with the previous period's); bar, hbar "
        "(horizontal, for names), line (over time) or pie: split by group_by.",
        default="tile", allowed=CHARTS),
    Key("compare", "boolean", "Show the previous period beside this one.", default=True),
    Key("size", "string", "Its width on a wide screen; a phone shows one per row.",
        default="small", allowed=SIZES),
    Key("help", "label", "How it is counted, shown on hover."),
)
DURATION = (
    Key("from", "key", "Where it starts: a date or date-time field, created_on, or an SLA "
        "column.", required=True),
    Key("to", "key", "Where it ends: as from, or `now` (the age of open records).",
        required=True),
    Key("time", "string", "calendar: wall-clock time; working: only the working days and "
        "office hours of config/calendar.yaml.", default="calendar", allowed=TIMES),
    Key("unit", "string", "The unit shown.", default="hours", allowed=UNITS),
)
ALERT = (
    Key("key", "key", "Stable identifier of the rule (alerts and the audit name it).",
        required=True),
    Key("label", "label", "What the alert is called in 我的待办 and the audit.", required=True),
    Key("form", "key", "The form whose records it counts.", required=True),
    Key("where", "string", "Only records meeting this condition count (the condition "
        "language of dashboards), e.g. \"category == 'skin_reaction'\"."),
    Key("group_by", "key", "What an alert names: a field of the form (a batch number, a "
        "product, a handler), never a sensitive one.", required=True),
    Key("date", "key", "The date or date-time field the window applies to.",
        default="created_on"),
    Key("window", "string", "A rolling window, e.g. 7d or 24h: records dated within it "
        "count, and a group raises one alert per window. Without it, every record counts as "
        "it stands now (an overdue backlog), and a group raises at most one alert a day."),
    Key("threshold", "integer", "A group raises an alert when it counts at least this "
        "many records (write 6 for 'above 5').", required=True),
    Key("growth", "number", "Also needed: at least this many times the previous window's "
        "count (2: doubled week over week); needs a window."),
    Key("roles", "keys", "Roles whose 我的待办 shows the alert (roles inheriting them too; "
        "admins always).", required=True),
    Key("help", "label", "What to do about it, shown with the alert."),
)

DASHBOARD_SECTIONS = {"dashboard": DASHBOARD, "widget": WIDGET, "duration": DURATION,
                      "alert": ALERT}
DASHBOARD_TITLES = {
    "dashboard": "Dashboard (config/dashboards/<key>.yaml, or dashboards/ of a pack)",
    "widget": "Widget (an item of a dashboard's widgets)",
    "duration": "Duration (a widget's `duration`)",
    "alert": "Quality alert rule (config/alerts/<key>.yaml, or alerts/ of a pack)",
}
