"""Typed, immutable spec objects: what the validated YAML means. Nothing downstream reads YAML."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

# Labels, and what the portal makes of records besides screens, live in their own modules;
# everything is imported from here (app.spec).
from app.spec.labels import Choice as Choice
from app.spec.labels import Label as Label
from app.spec.labels import current_lang as current_lang
from app.spec.labels import use_language as use_language
from app.spec.outputs import AlertSpec as AlertSpec
from app.spec.outputs import DashboardSpec as DashboardSpec
from app.spec.outputs import DurationSpec as DurationSpec
from app.spec.outputs import NotificationSpec as NotificationSpec
from app.spec.outputs import PrintSpec as PrintSpec
from app.spec.outputs import WebhookSpec as WebhookSpec
from app.spec.outputs import WidgetSpec as WidgetSpec

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
# Types whose column holds the id of a stored signature (portal_signature, app/db/signatures.py).
SIGNATURE_TYPES = ("signature",)
# Types whose values are uploaded files (app/files/): kept in the file storage, not typed in;
# their column holds the files' names (one a line), for lists, exports and the audit.
FILE_TYPES = ("file", "image")


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
    max_size_mb: int = 10  # a file or image field: the largest file accepted
    max_files: int = 1  # a file or image field: how many it holds (1: a single file)
    accept: tuple[str, ...] = ()  # a file or image field: content types allowed (sniffed)

    @property
    def given(self) -> bool:
        """The portal gives the value on save (an autonumber): no form ever enters it."""
        return self.type in GIVEN_TYPES

    @property
    def is_file(self) -> bool:
        """A file or image field: uploaded on the screens, kept in the file storage."""
        return self.type in FILE_TYPES

    @property
    def stores_id(self) -> bool:
        """A reference or user field: its column holds a record's id."""
        return self.type in ID_TYPES

    @property
    def signed(self) -> bool:
        """A signature field: its column holds the id of a stored signature image."""
        return self.type in SIGNATURE_TYPES

    @property
    def column(self) -> str:
        """The database column: reference, user and signature fields store an id."""
        return f"{self.key}_id" if self.stores_id or self.signed else self.key

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
        """The fields people (screens, API, imports) enter as values: all but those given on
        save and the file fields (uploaded on the screens only, see `uploads`)."""
        return tuple(f for f in self.fields if not f.given and not f.is_file)

    @property
    def uploads(self) -> tuple[FieldSpec, ...]:
        """The file and image fields: files uploaded on the add and edit screens."""
        return tuple(f for f in self.fields if f.is_file)


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
class PortalSpec:
    forms: tuple[FormSpec, ...]
    categories: tuple[CategorySpec, ...]
    roles: tuple[RoleSpec, ...]
    calendar: CalendarSpec = field(default_factory=CalendarSpec)
    dashboards: tuple[DashboardSpec, ...] = ()
    alerts: tuple[AlertSpec, ...] = ()
    webhooks: tuple[WebhookSpec, ...] = ()
    notifications: tuple[NotificationSpec, ...] = ()
    prints: tuple[PrintSpec, ...] = ()
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

    def notification(self, key: str) -> NotificationSpec | None:
        return next((n for n in self.notifications if n.key == key), None)

    def prints_of(self, form: str) -> tuple[PrintSpec, ...]:
        return tuple(p for p in self.prints if p.form == form)


def forms_in_menu_order(spec: PortalSpec, category: str) -> list[FormSpec]:
    """The forms of a menu category, as the menu lists them."""
    return sorted((f for f in spec.forms if f.category == category),
                  key=lambda f: (f.order, f.key))
