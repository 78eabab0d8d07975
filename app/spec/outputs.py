"""What the portal makes of records besides screens: dashboards and their widgets, quality
alert rules, webhooks and notification rules (typed, immutable, like the rest of the spec)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.spec.labels import Label


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


class EventRule:
    """What webhooks and notification rules share: the events they answer, transitions
    narrowed to some transitions or target states."""

    enabled: bool
    events: tuple[str, ...]
    transitions: tuple[str, ...]
    states: tuple[str, ...]

    def wants(self, event: str, transition: str | None = None,
              target: str | None = None) -> bool:
        """Whether an event of its form is reported or told (transitions narrowed as
        declared)."""
        if not self.enabled or event not in self.events:
            return False
        if event != "transition":
            return True
        return ((not self.transitions or transition in self.transitions)
                and (not self.states or target in self.states))


@dataclass(frozen=True)
class WebhookSpec(EventRule):
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


@dataclass(frozen=True)
class NotificationSpec(EventRule):
    """A notification rule (config/notifications/): on which events of a form's records whom
    to tell, how (portal, email, robot) and with which title and text (templates of field
    keys in braces, in Chinese and English). A robot's URL stays in the environment."""

    key: str
    label: Label
    form: str
    events: tuple[str, ...]  # assigned approval_waiting transition deadline_near …
    title: Label
    text: Label | None = None
    recipients: tuple[str, ...] = ()  # assignee creator requester approvers
    roles: tuple[str, ...] = ()  # every active user holding one of these roles directly
    channels: tuple[str, ...] = ("portal",)  # portal email robot
    transitions: tuple[str, ...] = ()  # transition events: only these (empty: any)
    states: tuple[str, ...] = ()  # transition events: only into these (empty: any)
    before: int | None = None  # deadline_near: seconds before the deadline
    robot: str | None = None  # wecom dingtalk
    robot_url_env: str | None = None
    robot_secret_env: str | None = None
    enabled: bool = True


@dataclass(frozen=True)
class PrintSpec:
    """A print template of a form (`config/prints/<form>/<name>.html`, a pack's `prints/`):
    the record rendered into it as a PDF (app/views/printing.py)."""

    form: str
    name: str
    label: Label  # from the file's first line: {# 处置协议 | Settlement agreement #}
    path: str
