"""Typed, immutable spec objects: what the validated YAML means. Nothing downstream reads YAML."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import get_locale

SYSTEM_COLUMNS = ("id", "version", "created_on", "changed_on", "created_by_fk",
                  "changed_by_fk")


def current_lang() -> str:
    """'zh' or 'en' for the current request; 'zh' outside one."""
    try:
        locale = get_locale()
    except Exception:  # outside an app context  # noqa: BLE001
        locale = None
    return "en" if locale is not None and locale.language == "en" else "zh"


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
    choices: tuple[Choice, ...] = ()
    form: str | None = None
    renamed_from: str | None = None

    @property
    def column(self) -> str:
        """The database column: reference and user fields store an id."""
        return f"{self.key}_id" if self.type in ("reference", "user") else self.key

    def choice_label(self, value: str, lang: str | None = None) -> str:
        for choice in self.choices:
            if choice.value == value:
                return choice.label.get(lang)
        return value


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
    icon: str = "fa-table"
    order: int = 100
    description: Label | None = None
    order_by: str = "-created_on"
    page_size: int = 20
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


@dataclass(frozen=True)
class PortalSpec:
    forms: tuple[FormSpec, ...]
    categories: tuple[CategorySpec, ...]
    roles: tuple[RoleSpec, ...]
    industry: str | None = None
    industry_label: Label | None = None
    fingerprint: str = field(default="", repr=False, compare=False)

    def form(self, key: str) -> FormSpec:
        return next(f for f in self.forms if f.key == key)

    def category(self, key: str) -> CategorySpec:
        return next(c for c in self.categories if c.key == key)
