"""One error type for configuration problems, and the problem records it carries."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One configuration problem, located as precisely as the linter can."""

    code: str
    file: str
    line: int
    column: int
    path: str
    message: str
    hint: str = ""

    def format(self, base: str | None = None) -> str:
        """Render as `file:line:col CODE path: message` with an indented hint line."""
        shown = self.file
        if base and shown.startswith(base.rstrip(os.sep) + os.sep):
            shown = os.path.relpath(shown, os.path.dirname(base.rstrip(os.sep)))
        where = f"{shown}:{self.line}:{self.column}"
        text = f"{where} {self.code} {self.path}: {self.message}" if self.path else (
            f"{where} {self.code} {self.message}"
        )
        if self.hint:
            text += f"\n    hint: {self.hint}"
        return text


class ConfigError(Exception):
    """Raised once, at the edge, with every problem the linter found."""

    def __init__(self, problems: list[Problem], config_dir: str | None = None) -> None:
        self.problems = sorted(problems, key=lambda p: (p.file, p.line, p.column, p.code))
        self.config_dir = config_dir
        super().__init__(self.report())

    def report(self) -> str:
        """The one readable screen shown by the CLI and run.py."""
        lines = [p.format(self.config_dir) for p in self.problems]
        n = len(self.problems)
        lines.append(f"{n} problem{'s' if n != 1 else ''} found; the portal was not started "
                     "and the database was not touched.")
        return "\n".join(lines)
