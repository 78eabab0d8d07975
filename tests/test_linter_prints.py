"""Print templates built into PrintSpec (app/config/lint/prints.py, the loader's
read_prints): the shipped settlement agreement, a pack's template replacing the base one of
the same form and name, and one added by a pack. The problems themselves (PORTAL-E074) are
pinned by the corpus in tests/corpus/cases.yaml."""

from __future__ import annotations

import shutil
from pathlib import Path

from app.config.load import load_spec
from app.spec import Label
from tests.support.linter import CONFIG


def test_shipped_agreement() -> None:
    spec = load_spec(str(CONFIG))
    (agreement,) = spec.prints_of("compensation")
    assert (agreement.form, agreement.name) == ("compensation", "agreement")
    assert agreement.label == Label("处置协议", "Settlement agreement")
    assert Path(agreement.path).is_file()
    assert spec.prints_of("customer") == ()


def test_a_pack_replaces_and_adds_templates(tmp_path: Path) -> None:
    config = tmp_path / "config"
    shutil.copytree(CONFIG, config)
    pack = config / "industries" / "cosmetics" / "prints"
    (pack / "compensation").mkdir(parents=True)
    (pack / "compensation" / "agreement.html").write_text(
        "{# 化妆品处置协议 | Cosmetics agreement #}\n<p>{{ record }}</p>\n", encoding="utf-8")
    (pack / "customer").mkdir()
    (pack / "customer" / "card.html").write_text("{# 客户卡片 | Customer card #}\n",
                                                 encoding="utf-8")
    spec = load_spec(str(config), "cosmetics")
    (agreement,) = spec.prints_of("compensation")
    assert agreement.label.zh == "化妆品处置协议" and "industries" in agreement.path
    assert [p.name for p in spec.prints_of("customer")] == ["card"]
    base = load_spec(str(config))
    assert base.prints_of("compensation")[0].label.zh == "处置协议"
