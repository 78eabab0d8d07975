"""The README's YAML key reference is generated from app/config/keys.py and must be current."""

from __future__ import annotations

import re
from pathlib import Path

from app.config import docs
from app.config.keys import SECTIONS

ROOT = Path(__file__).resolve().parent.parent


def test_readme_key_reference_is_current() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert docs.updated(readme) == readme, "run `make docs`"
    assert docs.main(["--check"]) == 0


def test_every_declared_key_is_documented_with_help() -> None:
    section = docs.render()
    for name, keys in SECTIONS.items():
        for key in keys:
            assert key.help.strip(), f"{name}.{key.name} has no help text"
            assert f"| `{key.name}` |" in section


def test_every_key_the_code_reads_is_declared() -> None:
    """A key read by the loader or linter but missing from app/config/keys.py would go undocumented
    (and the structural check would reject it as unknown)."""
    declared = {key.name for keys in SECTIONS.values() for key in keys}
    read = set()
    for module in ("config/loader.py", "config/lint/forms.py", "config/lint/roles.py",
                   "config/lint/workflow.py", "config/lint/sla.py", "fieldtypes/defaults.py"):
        source = (ROOT / "app" / module).read_text(encoding="utf-8")
        read |= set(re.findall(r'(?:raw|fov|override|pack|role|base|item|c)(?:\.get\(|\[)"'
                               r'([a-z_]+)"', source))
    assert read, "the pattern found no key reads; update this test"
    assert read - declared == set()


def test_check_reports_an_outdated_readme(tmp_path: Path, monkeypatch) -> None:
    stale = tmp_path / "README.md"
    stale.write_text(f"intro\n{docs.START}\nold\n{docs.END}\n", encoding="utf-8")
    monkeypatch.setattr(docs, "README", str(stale))
    assert docs.main(["--check"]) == 1
    assert docs.main(["--write"]) == 0
    assert docs.main(["--check"]) == 0
    assert stale.read_text(encoding="utf-8").startswith("intro\n")
