"""Checks of print templates (config/prints/<form>/<name>.html, a pack's prints/), built into
PrintSpec (E074): the folder names a form, the name is a key, the first line names the
template in both languages ({# 处置协议 | Settlement agreement #}) and the Jinja reads."""

from __future__ import annotations

import difflib
import os
import re
from typing import Any

import jinja2

from app.config.errors import Problem
from app.spec import FormSpec, Label, PrintSpec

NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
TITLE = re.compile(r"^\{#\s*(?P<zh>[^|#]+?)\s*\|\s*(?P<en>[^|#]+?)\s*#\}")


class PrintRules:
    """Mixed into the Linter."""

    raw: Any
    problems: list[Any]

    def print_problem(self, path: str, message: str, hint: str = "", line: int = 1,
                      column: int = 1) -> None:
        self.problems.append(Problem("PORTAL-E074", path, line, column, "", message, hint))

    def build_prints(self, forms: list[FormSpec]) -> list[PrintSpec]:
        keys = [f.key for f in forms]
        return [p for p in (self.build_print(path, keys) for path in self.raw.prints)
                if p is not None]

    def build_print(self, path: str, forms: list[str]) -> PrintSpec | None:
        form = os.path.basename(os.path.dirname(path))
        name = os.path.splitext(os.path.basename(path))[0]
        if form not in forms:
            near = difflib.get_close_matches(form, forms, n=1)
            self.print_problem(path, f"print template of unknown form '{form}'",
                               f"did you mean '{near[0]}'?" if near else
                               "put it in prints/<form key>/")
            return None
        if not NAME.match(name):
            self.print_problem(path, f"'{name}' is not a template name",
                               "lower-case letters, digits and _, starting with a letter")
            return None
        try:
            with open(path, encoding="utf-8") as file:
                source = file.read()
        except (OSError, UnicodeDecodeError) as exc:
            self.print_problem(path, f"cannot read the template: {exc}")
            return None
        title = TITLE.match(source)
        if title is None:
            self.print_problem(path, "the first line must name the template in Chinese and "
                               "English", "e.g. {# 处置协议 | Settlement agreement #}")
            return None
        try:
            jinja2.Environment().parse(source)
        except jinja2.TemplateSyntaxError as exc:
            self.print_problem(path, f"template syntax error: {exc.message}", "",
                               exc.lineno or 1)
            return None
        return PrintSpec(form, name, Label(title["zh"], title["en"]), path)
