"""The printed tables of benchmarks/scale.py (targets printed, never asserted)."""

from __future__ import annotations

from typing import Any

from scale_http import Sample
from scale_seed import size_label

SCALE_TARGET = 1.5  # a page at any size within 1.5x of the same page at the smallest size
BASE_TARGET = 1.1  # every page within 1.1x of the hand-written FAB baseline (same run)
STATEMENT_TARGET = 12  # SQL statements of a list page
LIST_PAGES = ("list", "filtered list", "sorted list", "deep page")


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}" if value >= 100 else f"{value:.1f}"


def _ppp(s: Sample | None) -> str:
    if s is None:
        return "-"
    if s.missing and not s.times:
        return s.missing if s.missing == "n/a" or s.missing.startswith("timeout") else "error"
    figures = "/".join(_ms(s.pct(p)) for p in (50, 95, 99))
    return figures + (" then timeout" if s.missing.startswith("timeout") else
                      " then error" if s.missing else "")


def _ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None or b == 0 else a / b


def _fmt_ratio(r: float | None) -> str:
    return "-" if r is None else f"{r:.2f}x"


def _verdict(vs_base: float | None, vs_small: float | None, small: bool) -> str:
    misses = []
    if vs_base is not None and vs_base > BASE_TARGET:
        misses.append("baseline")
    if not small and vs_small is not None and vs_small > SCALE_TARGET:
        misses.append("scale")
    if vs_base is None and (small or vs_small is None):
        return "-"
    return "yes" if not misses else "NO (" + ", ".join(misses) + ")"


def table(kind: str, pages: list[str], sizes: list[int],
          results: dict[int, dict[str, dict[str, Sample]]]) -> list[str]:
    """One table per database. results[size][server][page]: server is portal, noaudit,
    baseline."""
    head = ["page", "size", "n", "portal p50/p95/p99 ms", "baseline p50/p95/p99 ms",
            "portal/base p50", f"vs {size_label(sizes[0])} p50", "target met?",
            "audit off p50", "audit cost p50"]
    rows = [head]
    for page in pages:
        small = results.get(sizes[0], {}).get("portal", {}).get(page)
        for size in sizes:
            got = results.get(size)
            if got is None:
                continue
            portal, base = got["portal"].get(page), got["baseline"].get(page)
            off = got.get("noaudit", {}).get(page)
            p50 = portal.pct(50) if portal else None
            vs_base = _ratio(p50, base.pct(50) if base else None)
            vs_small = _ratio(p50, small.pct(50) if small else None)
            off50 = off.pct(50) if off else None
            cost = "-" if p50 is None or off50 is None else f"{p50 - off50:+.1f} ms"
            rows.append([page, size_label(size), str(len(portal.times)) if portal else "-",
                         _ppp(portal), _ppp(base), _fmt_ratio(vs_base),
                         "-" if size == sizes[0] else _fmt_ratio(vs_small),
                         _verdict(vs_base, vs_small, size == sizes[0]),
                         _ms(off50) if off else "-", cost])
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = [f"== {kind}: portal (gunicorn, audit on) vs hand-written FAB baseline; ms ==",
             "  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows[1:]]
    return lines


def statements(kind: str, counts: dict[int, dict[str, dict[str, int]]]) -> list[str]:
    """counts[size][server][page] = SQL statements of one GET (test client, signed in)."""
    lines = [f"-- {kind}: SQL statements per page (portal / baseline; target for a list page: "
             f"at most {STATEMENT_TARGET}) --"]
    for size, by_server in counts.items():
        portal, base = by_server.get("portal", {}), by_server.get("baseline", {})
        cells = []
        for page, n in portal.items():
            b = base.get(page)
            flag = " (!)" if page in LIST_PAGES and n > STATEMENT_TARGET else ""
            cells.append(f"{page} {_count(n)}/{_count(b)}{flag}")
        lines.append(f"{size_label(size):>5}: " + ", ".join(cells))
    return lines


def _count(n: Any) -> str:
    if n is None:
        return "-"
    return "n/a" if n == -404 else f"HTTP {-n}" if n < 0 else str(n)
