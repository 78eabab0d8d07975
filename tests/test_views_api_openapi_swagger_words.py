"""Swagger UI's own words on the API documentation page (app/views/api/openapi/swagger_words.py):
each is one Swagger UI really draws, and each has a Chinese translation."""

from __future__ import annotations

import re
from pathlib import Path

from flask import Flask
from flask_babel import force_locale

from app.views.api.openapi.swagger_words import WORDS, swagger_words

BUNDLE = (Path(__file__).resolve().parent.parent / "app" / "static" / "vendor" / "swagger-ui" /
          "swagger-ui-bundle.js")
HAN = re.compile(r"[\u4e00-\u9fff]")


def test_every_word_is_chinese_on_a_zh_page(app: Flask) -> None:
    with app.test_request_context(), force_locale("zh"):
        words = swagger_words("zh")
    assert set(words) == set(WORDS)
    untranslated = {english: word for english, word in words.items() if not HAN.search(word)}
    assert untranslated == {}
    assert words["Try it out"] == "试一试"
    assert words["Execute"] == "执行"


def test_an_english_page_replaces_nothing(app: Flask) -> None:
    with app.test_request_context(), force_locale("en"):
        assert swagger_words("en") == {}


def test_every_word_is_one_the_bundled_swagger_ui_draws() -> None:
    """A Swagger UI upgrade that rewords a label fails here rather than leaving English."""
    bundle = BUNDLE.read_text(encoding="utf-8")
    missing = [english for english in WORDS
               if not re.search(rf'"\s*{re.escape(english)}\s*"', bundle)]
    assert missing == []
