"""A signed-in walk of the site: every same-site page reachable by GET links, and the text a
person sees on a page (tests/test_views_protect.py, tests/test_views_words.py)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlparse

from flask.testing import FlaskClient

# Never followed: they end the session, switch the language or are files.
LEAVES = ("/logout", "/lang/", "/static", "/appbuilder/static")
# FAB's own security screens (users, roles, permissions, the profile and passwords).
FAB_SECURITY = ("/users/", "/roles/", "/permissions/", "/viewmenus/", "/permissionviews/",
                "/registeruser", "/resetmypassword/", "/resetpassword/", "/userinfoeditview/",
                "/usergroups/", "/groups/")
HREF = re.compile(r'href="([^"#]+)"')
FIGURES = ("/dashboard/", "/report/")
DIGITS = re.compile(r"\d+")


class Page(str):
    """A page's body, knowing its answer's status and type."""

    status: int
    mimetype: str

    @classmethod
    def of(cls, response: Any) -> Page:
        text = response.mimetype.startswith("text/") or "json" in response.mimetype
        page = cls(response.get_data(as_text=True) if text else "")  # not an Excel file
        page.status, page.mimetype = response.status_code, response.mimetype
        return page

    @property
    def screen(self) -> bool:
        """An HTML page a person reads (not a redirect, a file or JSON)."""
        return self.mimetype == "text/html" and not 300 <= self.status < 400


def crawl(client: FlaskClient, start: str = "/", limit: int = 400, *,
          skip: tuple[str, ...] = (), per_kind: int | None = None) -> dict[str, Page]:
    """Every same-site page reachable by GET links from `start` (no logout, no language
    switch, no path starting with one of `skip`), with the CSV exports linked from lists.
    With `per_kind`, at most that many URLs that differ only in their numbers (record
    pages, list pages) are visited: the walk covers every kind of page, not every record."""
    seen: dict[str, Page] = {}
    kinds: dict[str, int] = {}
    queue = [start]
    while queue and len(seen) < limit:
        url = queue.pop()
        if url in seen:
            continue
        kind = DIGITS.sub("N", url)
        # Dashboards link every period and figure to more of the same: a few of each kind
        # walk them all (any page would otherwise spend the budget on dates).
        limit_here = per_kind if per_kind is not None else (
            3 if url.startswith(FIGURES) or "_drill=" in url else None)
        if limit_here is not None and kinds.get(kind, 0) >= limit_here:
            continue
        kinds[kind] = kinds.get(kind, 0) + 1
        body = seen[url] = Page.of(client.get(url))
        if body.status != 200 or body.mimetype != "text/html":
            continue
        for href in HREF.findall(body):
            href = href.replace("&amp;", "&")
            target = urlparse(urljoin(url, href))
            if target.netloc not in ("", "portal.test") or target.path.startswith(
                    LEAVES + skip):
                continue
            path = target.path + ("?" + target.query if target.query else "")
            if path not in seen:
                queue.append(path)
    return seen


class _Text(HTMLParser):
    """The text nodes of a page outside <script> and <style>, and outside elements whose
    class names one of `hidden` (with everything inside them)."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
            "source", "track", "wbr"}

    def __init__(self, hidden: tuple[str, ...]) -> None:
        super().__init__(convert_charrefs=True)
        self.hidden = hidden
        self.parts: list[str] = []
        self.stack: list[bool] = []  # per open element: whether its text is skipped

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.VOID:
            return
        classes = (dict(attrs).get("class") or "").split()
        skipped = (tag in ("script", "style") or any(c in self.hidden for c in classes)
                   or bool(self.stack and self.stack[-1]))
        self.stack.append(skipped)

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if not (self.stack and self.stack[-1]):
            self.parts.append(data)


def visible_text(html: str, hidden: tuple[str, ...] = ()) -> str:
    """What a person reads on the page: its text without tags, scripts and styles, spaces
    collapsed; elements with one of the `hidden` classes left out."""
    parser = _Text(hidden)
    parser.feed(html)
    parser.close()
    return " ".join(" ".join(parser.parts).split())
