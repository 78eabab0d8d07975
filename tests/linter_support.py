"""Shared by the workflow and SLA linter tests: a copy of the corpus's base config with
edits, and the problems load_spec reports for it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app.config.errors import ConfigError
from app.config.load import load_spec

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "config"
BASE = Path(__file__).resolve().parent / "corpus" / "base"


def corpus(tmp_path: Path, edits: dict[str, tuple[str, str]] | None = None,
           calendar: str | None = None) -> Path:
    """A copy of the corpus's base config, with `file: (old, new)` replacements and
    optionally a calendar.yaml."""
    cfg = tmp_path / "config"
    shutil.copytree(BASE, cfg)
    if calendar is not None:
        (cfg / "calendar.yaml").write_text(calendar, "utf-8")
    for name, (old, new) in (edits or {}).items():
        path = cfg / name
        text = path.read_text("utf-8")
        assert text.count(old) == 1, old
        path.write_text(text.replace(old, new), "utf-8")
    return cfg


def problems(cfg: Path, industry: str | None = None) -> list[tuple[str, str, str]]:
    with pytest.raises(ConfigError) as info:
        load_spec(str(cfg), industry)
    return [(p.code, p.path, p.message) for p in info.value.problems]
