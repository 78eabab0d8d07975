"""Shared by the linter tests: a copy of the corpus's base config with edits (the corpus's
edit format, or `file: (old, new)` replacements), and the problems load_spec reports for it."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from app.config.errors import ConfigError
from app.config.load import load_spec

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config"
BASE = ROOT / "tests" / "corpus" / "base"


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


def apply_edit(cfg: Path, edit: dict[str, Any]) -> None:
    """Apply one corpus edit to the config folder `cfg`."""
    target = cfg / edit["file"]
    if edit.get("delete"):
        assert target.exists(), f"{edit['file']} does not exist in the base config"
        if target.is_dir():
            shutil.rmtree(target)
        else:
            target.unlink()
        return
    encoding = edit.get("encoding", "utf-8")
    if "write" in edit:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(edit["write"].encode(encoding))
        return
    text = target.read_text("utf-8")
    if "append" in edit:
        text += edit["append"]
    else:
        count = text.count(edit["replace"])
        assert count == 1, f"{edit['replace']!r} occurs {count} times in {edit['file']}"
        text = text.replace(edit["replace"], edit["with"])
    target.write_bytes(text.encode(encoding))


def make_config(tmp: Path, *cases: dict[str, Any]) -> Path:
    """A copy of the base config at tmp/config with the edits of `cases` applied."""
    cfg = tmp / "config"
    shutil.copytree(BASE, cfg)
    for case in cases:
        for edit in case.get("edits", []):
            apply_edit(cfg, edit)
    return cfg
