"""Typed, immutable spec objects: what the validated YAML means. Nothing downstream reads YAML."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

SYSTEM_COLUMNS = ("id", "version", "created_on", "changed_on", "created_by_fk",
                  "changed_by_fk")
STATE_COLUMN = "state"  # of forms with a workflow; changed only by transitions
# Of forms with an SLA: deadlines, when they were met, breaches marked by `flask portal sla run`.
SLA_COLUMNS = ("sla_response_due", "sla_responded_on", "sla_resolution_due", "sla_resolved_on",
               "sla_response_breached", "sla_resolution_breached", "sla_escalated_on")


# Types whose column holds the id of a record (another form's, or a user's).
ID_TYPES = ("reference", "user")
# Types whose value the portal gives on save (never entered, never edited).
GIVEN_TYPES = ("autonumber",)

# Which language a Label shows when none is asked for: the app sets this to the request's
# (app/i18n.py); the spec itself knows no request.
_language: Callable[[], str] = lambda: "zh"  # noqa: E731


def use_language(source: Callable[[], str]) -> None:
    """Make `source` ('zh' or 'en') decide the language of Label.get() without argument."""
    global _language
    _language = source


def current_lang() -> str:
    return _language()


@dataclass(frozen=True)
class Label:
    zh: str
    en: str

    def get(self, lang: str | None = None) -> str:
        return self.en if (lang or current_lang()) == "en" else self.zh

    def __str__(self) -> str:
        return self.get()


@dataclass(frozen=True)
class Choice:
    value: str
    label: Label


@dataclass(frozen=True)
class FieldSpec:
    key: str
    label: Label
    type: str
    required: bool = False
    unique: bool = False
    default: Any = None
    min_length: int | None = None
    max_length: int | None = None
    min: float | None = None
    max: float | None = None
    precision: int = 12
    scale: int = 2
    pattern: str | None = None
    pattern_message: Label | None = None
    help: Label | None = None
    searchable: bool = False
    indexed: bool = False
    list: bool = False
    sensitive: bool = False
    assignee: bool = False
    roles: tuple[str, ...] = ()  # a user field: only users with one of these roles
    choices: tuple[Choice, ...] = ()
    form: str | None = None
    renamed_from: str | None = None
    format: str | None = None  # an autonumber's template, e.g. "TS-{date:%Y%m%d}-{seq:4}"
    on_add: bool = True  # on the add form (false: filled in later, e.g. the resolution)

    @property
    def given(self) -> bool:
        """The portal gives the value on save (an autonumber): no form ever enters it."""
        return self.type in GIVEN_TYPES

    @property
    def stores_id(self) -> bool:
        """A reference or user field: its column holds a record's id."""
        return self.type in ID_TYPES

    @property
    def column(self) -> str:
        """The database column: reference and user fields store an id."""
        return f"{self.key}_id" if self.stores_id else self.key

    def choice_label(self, value: str, lang: str | None = None) -> str:
        for choice in self.choices:
            if choice.value == value:
                return choice.label.get(lang)
        return value


@dataclass(frozen=True)
class StateSpec:
    key: str
    label: Label
    initial: bool = False
    final: bool = False
    locked: bool = False  # no edit or delete in this state; final states are locked
    colour: str = "grey"


@dataclass(frozen=True)
class TransitionSpec:
    key: str
    label: Label
    sources: tuple[str, ...]  # the `from` states
    target: str  # the `to` state
    roles: tuple[str, ...]  # roles that may fire it (roles inheriting them too)
    condition: str | None = None  # source text of a safe expression (app/config/expressions.py)
    required_fields: tuple[str, ...] = ()  # must hold a value; asked for in the dialog
    comment: str = "optional"  # required / optional / none
    approvals: int = 0  # N distinct approvers before it fires (0: fires at once)
    approver_role: str | None = None  # whose approvals count (default: any allowed role)
    no_self_approval: bool = False  # the record's creator/requester may not fire it


@dataclass(frozen=True)
class WorkflowSpec:
    states: tuple[StateSpec, ...]
    transitions: tuple[TransitionSpec, ...]
    requester: str | None = None  # user field of the proposer (besides the creator)

    @property
    def initial(self) -> StateSpec:
        return next(s for s in self.states if s.initial)

    def state(self, key: str) -> StateSpec | None:
        return next((s for s in self.states if s.key == key), None)

    def transition(self, key: str) -> TransitionSpec | None:
        return next((t for t in self.transitions if t.key == key), None)


@dataclass(frozen=True)
class SlaTarget:
    first_response: int | None  # seconds of (working) time; None: no such deadline
    resolution: int | None


@dataclass(frozen=True)
class SlaSpec:
    targets: dict[str, SlaTarget]  # priority choice value (or 'default') → deadlines
    priority_field: str | None = None
    working_days: bool = False  # count only working days of the calendar
    responded_states: tuple[str, ...] = ()  # entering one meets the first-response deadline
    resolved_states: tuple[str, ...] = ()  # entering one meets the resolution deadline
    escalate_priority: str | None = None  # raise the priority field to this value
    escalate_role: str | None = None  # reassign the assignee field to a user of this role

    def target(self, priority: str | None) -> SlaTarget | None:
        return self.targets.get(priority or "", self.targets.get("default"))


@dataclass(frozen=True)
class CalendarDay:
    date: dt.date
    label: str = ""


@dataclass(frozen=True)
class CalendarSpec:
    """China's working-day arrangement: weekends, public holidays, make-up workdays (调休)."""

    weekend: tuple[int, ...] = (5, 6)  # date.weekday() numbers
    holidays: tuple[CalendarDay, ...] = ()
    workdays: tuple[CalendarDay, ...] = ()  # weekend days worked instead
    hours: tuple[tuple[int, int], ...] = ()  # office hours (minutes from 00:00); (): all day

    def is_working_day(self, day: dt.date) -> bool:
        if any(d.date == day for d in self.workdays):
            return True
        if any(d.date == day for d in self.holidays):
            return False
        return day.weekday() not in self.weekend


@dataclass(frozen=True)
class ComputedSpec:
    """A read-only value worked out from the record on every read (app/config/formulas.py),
    e.g. hours from registration to resolution: shown, listed, exported, never stored."""

    key: str
    label: Label
    formula: Any = field(compare=False, hash=False, repr=False)  # a parsed Expression
    text: str = ""  # the formula as written
    list: bool = False  # a column of the list
    help: Label | None = None
    choices: tuple[Choice, ...] = ()  # the values it gives, with how they read

    def label_of(self, value: Any, lang: str | None = None) -> Any:
        """A value as people read it: its choice's label, or the value itself."""
        return next((c.label.get(lang) for c in self.choices if c.value == value), value)


@dataclass(frozen=True)
class SectionSpec:
    """A group of a form's fields on its add, edit and record pages (客户信息, 处理 …)."""

    key: str
    label: Label
    fields: tuple[str, ...]
    columns: int = 1  # 2: side by side on a wide screen (one column on a phone)
    states: tuple[str, ...] = ()  # only in these workflow states (edit and record page)


@dataclass(frozen=True)
class FormSpec:
    key: str
    label: Label
    category: str
    fields: tuple[FieldSpec, ...]
    list_columns: tuple[str, ...]
    search_columns: tuple[str, ...]
    order_columns: tuple[str, ...]
    display: str | None = None
    title: Label | None = None  # how a record is named, e.g. "{ticket_no} {customer}"
    icon: str = "fa-table"
    order: int = 100
    description: Label | None = None
    order_by: str = "-created_on"
    page_size: int = 20
    workflow: WorkflowSpec | None = None
    sla: SlaSpec | None = None
    sections: tuple[SectionSpec, ...] = ()  # () : one untitled group of every field
    computed: tuple[ComputedSpec, ...] = ()
    source: str = field(default="", repr=False, compare=False)

    @property
    def table(self) -> str:
        return f"form_{self.key}"

    @property
    def class_name(self) -> str:
        """Stable CamelCase name: model class, and (with 'View') FAB permission name."""
        return "".join(part.capitalize() for part in self.key.split("_"))

    @property
    def view_name(self) -> str:
        return f"{self.class_name}View"

    def field(self, key: str) -> FieldSpec:
        return next(f for f in self.fields if f.key == key)

    @property
    def entered(self) -> tuple[FieldSpec, ...]:
        """The fields people (screens, API, imports) enter: all but those given on save."""
        return tuple(f for f in self.fields if not f.given)


@dataclass(frozen=True)
class CategorySpec:
    key: str
    label: Label
    icon: str = "fa-folder"


@dataclass(frozen=True)
class RoleSpec:
    key: str
    label: Label
    admin: bool = False
    audit: bool = False  # the audit screens (admins have them anyway)
    grants: dict[str, tuple[str, ...]] = field(default_factory=dict)  # sorted: canonical repr
    scopes: dict[str, str] = field(default_factory=dict)  # per granted form: own/team/all
    reveal: tuple[str, ...] = ()  # 'form.field' of sensitive fields, sorted
    readonly: dict[str, tuple[str, ...]] = field(default_factory=dict)  # form → fields
    ancestors: tuple[str, ...] = ()  # every role it inherits from, directly or not, sorted


@dataclass(frozen=True)
class DurationSpec:
    """Time between two date/time columns of a record, in calendar or working time."""

    start: str  # a field key or system column
    end: str  # likewise, or 'now'
    working: bool = False  # only working days and office hours (config/calendar.yaml)
    unit: str = "hours"  # hours / days

    @property
    def seconds(self) -> int:
        """Seconds per unit shown."""
        return 86_400 if self.unit == "days" else 3_600


@dataclass(frozen=True)
class WidgetSpec:
    """One tile or chart of a dashboard: a measure over a form's records in the period."""

    key: str
    label: Label
    form: str
    measure: str = "count"  # count sum avg min max p90 rate
    field_key: str | None = None  # the number measured (a field or computed value)
    duration: DurationSpec | None = None
    rate: Any = field(default=None, compare=False, hash=False, repr=False)  # an Expression
    where: Any = field(default=None, compare=False, hash=False, repr=False)
    rate_text: str = ""
    where_text: str = ""
    date: str = "created_on"
    period: bool = True  # False: all records, whatever their date
    group_by: str | None = None  # a field, state, a computed value, or 'value'
    every: str | None = None  # day / week / month, with a date group_by
    bins: tuple[float, ...] = ()  # with group_by 'value': upper limits of the groups
    top: int | None = None
    chart: str = "tile"
    compare: bool = True
    size: str = "small"
    help: Label | None = None


@dataclass(frozen=True)
class DashboardSpec:
    key: str
    label: Label
    widgets: tuple[WidgetSpec, ...]
    roles: tuple[str, ...] = ()
    order: int = 100
    period: str = "week"
    description: Label | None = None
    filters: tuple[str, ...] = ()  # choice fields offered above the page

    def widget(self, key: str) -> WidgetSpec | None:
        return next((w for w in self.widgets if w.key == key), None)


@dataclass(frozen=True)
class AlertSpec:
    """A quality alert rule (质量预警): a group of a form's records counting at least
    `threshold` within the rolling window raises one alert for the roles named."""

    key: str
    label: Label
    form: str
    group_by: str
    threshold: int
    roles: tuple[str, ...]
    where: Any = field(default=None, compare=False, hash=False, repr=False)  # an Expression
    where_text: str = ""
    date: str = "created_on"
    window: int | None = None  # seconds; None: records as they stand now, one alert a day
    growth: float | None = None  # and at least this many times the previous window's count
    help: Label | None = None


@dataclass(frozen=True)
class WebhookSpec:
    """An outbound webhook (config/webhooks/): the events of a form's records it reports,
    where to (a URL, or the environment variable holding it) and in which format. Secrets
    and robot URLs stay in the environment: the spec names the variables only."""

    key: str
    label: Label
    form: str
    events: tuple[str, ...]  # created updated transition sla_breach
    url: str | None = None
    url_env: str | None = None
    secret_env: str | None = None
    format: str = "json"  # json wecom dingtalk
    message: str = ""  # robots: a template of field keys in braces
    markdown: bool = False
    fields: tuple[str, ...] = ()  # json: the fields the body carries (empty: all)
    transitions: tuple[str, ...] = ()  # transition events: only these (empty: any)
    states: tuple[str, ...] = ()  # transition events: only into these (empty: any)
    condition: str = ""  # only records meeting it (the workflow's condition language)
    enabled: bool = True

    def wants(self, event: str, transition: str | None = None,
              target: str | None = None) -> bool:
        """Whether an event of its form is reported (transitions narrowed as declared)."""
        if not self.enabled or event not in self.events:
            return False
        if event != "transition":
            return True
        return ((not self.transitions or transition in self.transitions)
                and (not self.states or target in self.states))


@dataclass(frozen=True)
class PortalSpec:
    forms: tuple[FormSpec, ...]
    categories: tuple[CategorySpec, ...]
    roles: tuple[RoleSpec, ...]
    calendar: CalendarSpec = field(default_factory=CalendarSpec)
    dashboards: tuple[DashboardSpec, ...] = ()
    alerts: tuple[AlertSpec, ...] = ()
    webhooks: tuple[WebhookSpec, ...] = ()
    industry: str | None = None
    industry_label: Label | None = None
    fingerprint: str = field(default="", repr=False, compare=False)

    def form(self, key: str) -> FormSpec:
        return next(f for f in self.forms if f.key == key)

    def category(self, key: str) -> CategorySpec:
        return next(c for c in self.categories if c.key == key)

    def dashboard(self, key: str) -> DashboardSpec | None:
        return next((d for d in self.dashboards if d.key == key), None)

    def alert(self, key: str) -> AlertSpec | None:
        return next((a for a in self.alerts if a.key == key), None)

    def webhook(self, key: str) -> WebhookSpec | None:
        return next((w for w in self.webhooks if w.key == key), None)


def forms_in_menu_order(spec: PortalSpec, category: str) -> list[FormSpec]:
    """The forms of a menu category, as the menu lists them."""
    return sorted((f for f in spec.forms if f.category == category),
                  key=lambda f: (f.order, f.key))
