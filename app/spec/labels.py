"""Bilingual labels and the language they show in: the smallest part of the spec."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

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
