"""Chinese first: the portal's catalog completes Flask-AppBuilder's zh translation.

FAB's own zh catalog is loaded first and app/translations second (later catalogs win), so
every msgid FAB or the portal can show must have Chinese in one of the two. The msgids are
re-extracted here with Babel, so a FAB upgrade or a new `_l(...)` in the portal that nobody
translated fails this test with the list of what is missing.
"""

from __future__ import annotations

import functools
import os
import re

import flask_appbuilder
import flask_babel
import flask_wtf
import pytest
import wtforms
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask import Flask

from app.i18n import CATALOG_DIR, compiled
from app.paths import ROOT
from app.settings import build_settings

FAB_DIR = os.path.dirname(flask_appbuilder.__file__)
FAB_TRANSLATIONS = os.path.join(FAB_DIR, "translations")
APP_DIR = os.path.join(ROOT, "app")
LANGS = ("zh", "en")

# FAB imports flask_babel.gettext as `__` in places; the portal uses `_l` for lazy_gettext.
KEYWORDS = {**DEFAULT_KEYWORDS, "lazy_gettext": None, "_l": None, "__": None}
JINJA = "jinja2.ext:babel_extract"
FAB_METHODS = [("**/tests/**", "ignore"), ("**.py", "python"), ("**/templates/**.html", JINJA)]
APP_METHODS = [("**.py", "python"), ("**/templates/**.html", JINJA)]

# Flask-WTF raises these without a gettext call, so Babel cannot find them.
CSRF_MESSAGES = (
    "The CSRF token is missing.",
    "The CSRF session token is missing.",
    "The CSRF token has expired.",
    "The CSRF token is invalid.",
    "The CSRF tokens do not match.",
    "The referrer header is missing.",
    "The referrer does not match the host.",
)


def _key(msgid: str | tuple | list) -> str:
    """A plural msgid is (singular, plural); catalogs are keyed by the singular."""
    return msgid[0] if isinstance(msgid, (tuple, list)) else msgid


@functools.cache
def _extract(root: str, methods: tuple) -> dict[str, list[str]]:
    """msgid -> where it is used, for everything under root."""
    found: dict[str, list[str]] = {}
    for filename, lineno, msgid, _comments, _context in extract_from_dir(
        root, list(methods), keywords=KEYWORDS
    ):
        found.setdefault(_key(msgid), []).append(f"{filename}:{lineno}")
    return found


def fab_msgids() -> dict[str, list[str]]:
    return _extract(FAB_DIR, tuple(FAB_METHODS))


def portal_msgids() -> dict[str, list[str]]:
    return _extract(APP_DIR, tuple(APP_METHODS))


def form_library_msgids() -> dict[str, list[str]]:
    """WTForms' and Flask-WTF's own validation messages (they can reach the user)."""
    found: dict[str, list[str]] = {}
    for pkg in (wtforms, flask_wtf):
        for msgid, where in _extract(os.path.dirname(pkg.__file__), (("**.py", "python"),)).items():
            found.setdefault(msgid, []).extend(where)
    for msgid in CSRF_MESSAGES:
        found.setdefault(msgid, []).append("flask_wtf/csrf.py")
    return found


def _po_path(lang: str) -> str:
    return os.path.join(CATALOG_DIR, lang, "LC_MESSAGES", "messages.po")


def _read_po(lang: str) -> Catalog:
    with open(_po_path(lang), "rb") as fh:
        return read_po(fh)


def _mo_strings(path: str) -> dict[str, str | tuple | list]:
    """What a compiled catalog actually serves (no fuzzy, no empty msgstr)."""
    with open(path, "rb") as fh:
        return {_key(m.id): m.string for m in read_mo(fh) if m.id}


def _translated(string: str | tuple | list | None) -> bool:
    if isinstance(string, (tuple, list)):
        return bool(string) and all(string)
    return bool(string)


def merged_zh() -> dict[str, str | tuple | list]:
    """FAB's zh catalog overridden by ours, in the order flask-babel merges them."""
    merged = _mo_strings(os.path.join(FAB_TRANSLATIONS, "zh", "LC_MESSAGES", "messages.mo"))
    merged.update(_mo_strings(_po_path("zh")[:-3] + ".mo"))
    return merged


def _report(missing: list[str], where: dict[str, list[str]]) -> str:
    return f"{len(missing)} msgid(s) without Chinese:\n" + "\n".join(
        f"  {m!r}  ({', '.join(where[m][:3])})" for m in missing
    )


# --- (a) the committed catalogs are compiled and current ---------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_mo_is_compiled_and_current(lang: str) -> None:
    po = _po_path(lang)
    assert os.path.exists(po), f"missing {po}"
    mo = po[:-3] + ".mo"
    assert os.path.exists(mo), f"{mo} missing: run app.i18n.compile_catalogs()"
    with open(mo, "rb") as fh:
        assert fh.read() == compiled(po), f"{mo} is stale: run app.i18n.compile_catalogs()"


def test_every_catalog_on_disk_is_checked() -> None:
    on_disk = {d for d in os.listdir(CATALOG_DIR) if os.path.exists(_po_path(d))}
    assert on_disk == set(LANGS)


@pytest.mark.parametrize("lang", LANGS)
def test_catalog_is_clean(lang: str) -> None:
    catalog = _read_po(lang)
    assert str(catalog.locale) == lang
    assert catalog.charset.lower() == "utf-8"
    assert not catalog.fuzzy, "header is marked fuzzy"
    assert [m.id for m in catalog if m.fuzzy] == []
    ids = [_key(m.id) for m in catalog if m.id]
    assert ids == sorted(ids), "entries are not sorted by msgid"
    assert len(ids) == len(set(ids))
    problems = [(m.id, [str(e) for e in errors]) for m, errors in catalog.check()]
    assert problems == [], "placeholder errors (python-format)"
    for m in catalog:
        for string in m.string if isinstance(m.string, tuple) else (m.string,):
            if string:  # str.format() placeholders must survive translation too
                assert set(re.findall(r"\{\w+\}", _key(m.id))) == set(
                    re.findall(r"\{\w+\}", string)
                ), m.id


def test_zh_header() -> None:
    with open(_po_path("zh"), encoding="utf-8") as fh:
        text = fh.read()
    assert '"Language: zh\\n"' in text
    assert '"Plural-Forms: nplurals=1; plural=0;\\n"' in text
    assert "charset=utf-8" in text


# --- (b) every msgid FAB and the portal use has Chinese ----------------------------------


def test_extraction_finds_known_msgids() -> None:
    """Guards against an extraction that silently finds nothing (e.g. a broken method map)."""
    fab = fab_msgids()
    for msgid in ("Add", "Record Count", "Are you sure you want to delete this item?",
                  "Added Row", "Starts with", "Not a valid choice", "Reset Password"):
        assert msgid in fab, msgid
    portal = portal_msgids()
    for msgid in ("Export CSV", "Login", "Please choose one of the listed records."):
        assert msgid in portal, msgid
    assert "Not a valid choice." in form_library_msgids()


def test_every_fab_msgid_has_chinese() -> None:
    merged, used = merged_zh(), fab_msgids()
    missing = sorted(m for m in used if not _translated(merged.get(m)))
    assert not missing, _report(missing, used)


def test_every_portal_msgid_has_chinese_in_our_catalog() -> None:
    ours, used = _mo_strings(_po_path("zh")[:-3] + ".mo"), portal_msgids()
    missing = sorted(m for m in used if not _translated(ours.get(m)))
    assert not missing, _report(missing, used)


def test_form_library_messages_have_chinese() -> None:
    merged, used = merged_zh(), form_library_msgids()
    missing = sorted(m for m in used if not _translated(merged.get(m)))
    assert not missing, _report(missing, used)


def test_en_catalog_lists_portal_msgids() -> None:
    listed = {_key(m.id) for m in _read_po("en") if m.id}
    missing = sorted(set(portal_msgids()) - listed)
    assert not missing, f"add to the en catalog: {missing}"


# --- (c) in a real request, flask-babel gives Chinese / English ---------------------------


@pytest.fixture
def babel_app(tmp_path) -> Flask:
    """A Flask app whose translation directories are built the way FAB's BabelManager does:
    FAB's own directory first, then the portal's BABEL_TRANSLATION_DIRECTORIES."""
    portal_dirs = build_settings(str(tmp_path), {"SECRET_KEY": "test"})[
        "BABEL_TRANSLATION_DIRECTORIES"]
    assert portal_dirs == CATALOG_DIR
    app = Flask(__name__)
    app.config["BABEL_DEFAULT_LOCALE"] = "zh"
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = FAB_TRANSLATIONS + ";" + portal_dirs

    def locale_selector() -> str:
        from flask import request

        return request.args.get("lang", "zh")

    flask_babel.Babel(app, locale_selector=locale_selector)
    return app


ZH_EXPECTED = {
    "Add": "添加",
    "Edit": "编辑",
    "Delete": "删除",
    "Show": "查看",
    "Search": "搜索",
    "Record Count": "记录数",
    "Back": "返回",  # ours overrides FAB's 后退
    "Password": "密码",  # only in FAB's catalog: the merge keeps it
    "Are you sure you want to delete this item?": "确定要删除这条记录吗？",
    "Export CSV": "导出 CSV",
}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_gettext_in_request(babel_app: Flask, lang: str) -> None:
    with babel_app.test_request_context(f"/?lang={lang}"):
        assert str(flask_babel.get_locale()) == lang
        for msgid, zh in ZH_EXPECTED.items():
            expected = zh if lang == "zh" else msgid
            assert flask_babel.gettext(msgid) == expected, msgid
            assert str(flask_babel.lazy_gettext(msgid)) == expected, msgid
        at_most = flask_babel.gettext("Enter at most %(max)d characters.", max=5)
        assert at_most == ("最多只能输入 5 个字符。" if lang == "zh"
                           else "Enter at most 5 characters.")


def test_default_locale_is_chinese(babel_app: Flask) -> None:
    babel_app.extensions["babel"].locale_selector = None
    with babel_app.test_request_context("/"):
        assert str(flask_babel.get_locale()) == "zh"
        assert flask_babel.gettext("Record Count") == "记录数"
