"""Every page a staff user, a supervisor and an auditor reach in Chinese, with records
present, speaks Chinese: no `None`, `True` or `False`, and no English word of the interface
(FAB's own security screens aside). A walk of every same-site link, read as text."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from app.portal import portal_of
from tests.support.app import PASSWORD, login, user_id
from tests.support.crawl import FAB_SECURITY, Page, crawl, visible_text
from tests.support.factories import bulk_records, make_record
from tests.support.workflow import RoleClient

# Python's words for no value and truth, and English words of FAB's and Werkzeug's screens.
PYTHON_WORDS = ("None", "True", "False")
ENGLISH_WORDS = (
    "Not Found", "Forbidden", "Internal Server Error", "Unauthorized", "Redirecting",
    "Cancel", "OK", "Close", "Record Count", "Search", "Add Filter", "Add", "Delete",
    "Edit", "Save", "Back", "List", "Show", "Detail", "Details", "Actions", "Refresh",
    "Yes", "No", "Home", "Login", "Logout", "Page", "Previous", "Next", "Overdue",
    "Portal Admin", "Access is Denied", "User confirmation needed",
)
WORD_RE = re.compile(r"(?<![A-Za-z_])(" + "|".join(
    re.escape(w) for w in sorted(PYTHON_WORDS + ENGLISH_WORDS, key=len, reverse=True))
    + r")(?![A-Za-z_])")
# What the audit log recorded (field values, FAB's permission names): data, not words of the
# interface. Still read for None/True/False.
RECORDED = ("portal-audit-changes", "portal-audit-values", "portal-audit-filters")
# Pages no link leads to but people reach: a mistyped address, a record out of scope or
# gone, a screen of another role.
ERRORS = ("/no-such-page/", "/complaintview/show/2147483647", "/audit/list/",
          "/schema/", "/customerview/edit/2147483647")


@pytest.fixture(scope="module")
def site(make_app: Callable[..., Flask]) -> dict[str, Any]:
    """Records with values and without: optional fields empty, yes and no, a handler and
    none, a workflow step taken, and enough rows for a second page."""
    app = make_app()
    spec = portal_of(app).spec
    customer = make_record(app, spec.form("customer"), name="王女士", company=None,
                           email=None, notes=None)
    complaint = spec.form("complaint")
    handled = make_record(app, complaint, customer=customer.id, satisfied=True,
                          handler=user_id(app, "staff"))
    make_record(app, complaint, customer=customer.id, satisfied=False, resolution=None,
                batch_no=None, production_date=None)
    make_record(app, complaint, customer=customer.id, satisfied=None, expectation="")
    make_record(app, spec.form("compensation"), complaint=handled.id)
    make_record(app, spec.form("satisfaction_survey"), complaint=handled.id)
    bulk_records(app, complaint, 30)
    outcome = RoleClient(app, "staff", PASSWORD).fire(
        "complaint", handled.id, "accept", handler=user_id(app, "staff"))
    assert outcome.status == 302, outcome.text
    return {"app": app, "accepted": f"/complaintview/show/{handled.id}"}


# A record named by its number where its title belongs ("#12": a title came out empty).
RAW_ID = re.compile(r"(?<![\w/&])#\d+\b")


def english_and_python_words(page: str) -> list[str]:
    found = set(WORD_RE.findall(visible_text(page, hidden=RECORDED)))
    found |= {w for w in WORD_RE.findall(visible_text(page)) if w in PYTHON_WORDS}
    found |= set(RAW_ID.findall(visible_text(page, hidden=RECORDED)))
    return sorted(found)


@pytest.mark.parametrize("user", ["staff", "supervisor", "auditor"])
def test_no_page_a_user_reaches_shows_none_or_english_words(site: dict[str, Any],
                                                            user: str) -> None:
    client = site["app"].test_client()
    login(client, user)
    pages = crawl(client, limit=250, skip=FAB_SECURITY, per_kind=3)
    # a record with a workflow history, and the pages of ERRORS
    pages.update({url: Page.of(client.get(url)) for url in (site["accepted"], *ERRORS)})
    shown = {url: page for url, page in pages.items() if page.screen}
    assert len(shown) > 20, sorted(shown)
    assert any(url.startswith("/complaintview/show/") for url in shown)
    assert any(url.startswith("/complaintview/list/") for url in shown)
    problems = {url: words for url, body in shown.items()
                if (words := english_and_python_words(body))}
    assert problems == {}


def test_the_walk_reads_what_a_person_sees() -> None:
    page = ("<html><head><title>OK</title><script>var x = None;</script></head><body>"
            "<p>处理人 None</p><table class='table portal-audit-values'><tr><td>can list on"
            " UserDBModelView</td><td>True</td></tr></table><input value='Cancel'>"
            "<span title='Delete'>删除</span></body></html>")
    assert english_and_python_words(page) == ["None", "OK", "True"]


def test_every_kind_of_screen_is_walked(site: dict[str, Any]) -> None:
    """The walk reaches lists, record, add and edit pages, the workflow dialogs and My work
    (a staff user), and the audit screens (an auditor)."""
    kinds: dict[str, Any] = {}
    for user in ("staff", "auditor"):
        client = site["app"].test_client()
        login(client, user)
        kinds[user] = {re.sub(r"\d+", "N", u.split("?")[0])
                       for u in crawl(client, limit=250, skip=FAB_SECURITY, per_kind=3)}
    assert {"/complaintview/list/", "/complaintview/show/N", "/complaintview/add",
            "/complaintview/edit/N", "/complaintview/transition/N/accept",
            "/mywork/", "/customerview/show/N"} <= kinds["staff"]
    assert {"/audit/list/", "/audit/show/N", "/audit/timeline/complaint/N"} <= kinds["auditor"]


# In English, no Chinese but the language menu's own 中文.
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+")
ALLOWED_CJK = {"中文", "客服一组"}  # and the test users' team (data)


def _ascii_values(form: Any) -> dict[str, Any]:
    """Every text of a record in plain ASCII: what is left in Chinese is the interface's."""
    return {f.key: f"x{f.key}" for f in form.entered
            if f.type in ("string", "text") and not f.pattern}


@pytest.mark.parametrize("user", ["staff", "supervisor", "admin"])
def test_in_english_no_page_shows_chinese(make_app: Callable[..., Flask], user: str) -> None:
    """The reverse walk: English pages (FAB's security screens too, for the admin) with
    records whose own texts are English."""
    app = make_app()
    spec = portal_of(app).spec
    customer = make_record(app, spec.form("customer"), **_ascii_values(spec.form("customer")))
    complaint = make_record(app, spec.form("complaint"), customer=customer.id,
                            **_ascii_values(spec.form("complaint")))
    for key in ("compensation", "satisfaction_survey"):
        make_record(app, spec.form(key), complaint=complaint.id,
                    **_ascii_values(spec.form(key)))
    client = app.test_client()
    login(client, user)
    client.get("/lang/en")
    pages = crawl(client, limit=200, skip=() if user == "admin" else FAB_SECURITY,
                  per_kind=2)
    shown = {url: page for url, page in pages.items() if page.screen}
    assert len(shown) > 15, sorted(shown)
    problems = {url: sorted(words) for url, body in shown.items()
                if (words := set(CJK.findall(visible_text(body))) - ALLOWED_CJK)}
    assert problems == {}
