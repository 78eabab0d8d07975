"""Chinese first, English available: the portal's catalog completes FAB's zh translation."""

from __future__ import annotations

import io
import os

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import current_app, request
from flask_babel import get_locale

from app.paths import ROOT

CATALOG_DIR = os.path.join(ROOT, "app", "translations")


def request_language() -> str:
    """'zh' or 'en' for the current request; 'zh' outside one (the spec's labels ask this,
    through app.spec.use_language)."""
    try:
        locale = get_locale()
    except Exception:  # outside an app context  # noqa: BLE001
        locale = None
    return "en" if locale is not None and locale.language == "en" else "zh"


def api_language() -> str:
    """An API call's language: FAB's `_l_=en`, else the Accept-Language header, else the
    portal's default (zh); an API call has no session to keep a choice in."""
    languages = list(current_app.config["LANGUAGES"])
    chosen = request.args.get("_l_", "")
    if chosen in languages:
        return chosen
    best = request.accept_languages.best_match(languages)
    return str(best or current_app.config["BABEL_DEFAULT_LOCALE"])


def compiled(po_path: str) -> bytes:
    """The .mo bytes for a .po file (deterministic, so a test can compare)."""
    with open(po_path, "rb") as fh:
        catalog = read_po(fh)
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def compile_catalogs() -> list[str]:
    """Write every .mo next to its .po; returns the files written."""
    written = []
    for lang in sorted(os.listdir(CATALOG_DIR)):
        po = os.path.join(CATALOG_DIR, lang, "LC_MESSAGES", "messages.po")
        if os.path.exists(po):
            with open(po[:-3] + ".mo", "wb") as fh:
                fh.write(compiled(po))
            written.append(po[:-3] + ".mo")
    return written


def add_messages(messages: dict[str, tuple[str, str]]) -> list[str]:
    """Add or update msgids ({msgid: (zh, en)}) in both catalogs, then compile them.

        python -m app.i18n new_messages.json     # {"msgid": ["中文", "English"], ...}
    """
    from babel.messages.pofile import write_po

    for index, lang in enumerate(("zh", "en")):
        po = os.path.join(CATALOG_DIR, lang, "LC_MESSAGES", "messages.po")
        with open(po, "rb") as fh:
            catalog = read_po(fh)
        for msgid, texts in messages.items():
            catalog.add(msgid, texts[index])
        with open(po, "wb") as fh:
            write_po(fh, catalog, sort_output=True, width=0)
    return compile_catalogs()


if __name__ == "__main__":
    import json
    import sys

    with open(sys.argv[1], encoding="utf-8") as fh:
        print(*add_messages(json.load(fh)), sep="\n")
