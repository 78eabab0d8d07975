"""Locust's CSV statistics as tables: one run, or two runs side by side."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

TARGETED = ("list", "record", "search (list filter)", "quick search")  # p95 < TARGET_MS
TARGET_MS = 200


def read_stats(prefix: Path) -> dict[str, dict[str, Any]]:
    """{name: {n, fail, rps, p50, p95, p99}} from locust's <prefix>_stats.csv."""
    out = {}
    with open(f"{prefix}_stats.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            name = "TOTAL" if row["Name"] == "Aggregated" else row["Name"]

            def num(key: str, row: dict[str, str] = row) -> float:
                value = row.get(key) or "0"
                return float(value) if value != "N/A" else 0.0
            out[name] = {"n": int(num("Request Count")), "fail": int(num("Failure Count")),
                         "rps": num("Requests/s"), "p50": num("50%"), "p95": num("95%"),
                         "p99": num("99%")}
    return out


def _cells(s: dict[str, Any] | None) -> str:
    if not s:
        return f"{'-':>6} {'':>5} {'':>6} {'':>16}"
    return (f"{s['n']:>6} {s['fail']:>5} {s['rps']:>6.1f} "
            f"{s['p50']:>4.0f}/{s['p95']:>4.0f}/{s['p99']:>5.0f}")


def print_side_by_side(runs: list[tuple[str, dict[str, dict[str, Any]]]]) -> None:
    names = sorted({n for _, stats in runs for n in stats if n != "TOTAL"}) + ["TOTAL"]
    width = max(len(n) for n in names) + 2
    head = "".join(f" | {title:^36}" for title, _ in runs)
    print(f"\n{'request type':<{width}}{head}")
    sub = "".join(f" | {'n':>6} {'fail':>5} {'req/s':>6} {'p50/p95/p99 ms':>16}" for _ in runs)
    print(f"{'':<{width}}{sub}")
    for name in names:
        print(f"{name:<{width}}" + "".join(f" | {_cells(stats.get(name))}" for _, stats in runs))


def targets(stats: dict[str, dict[str, Any]], tally: dict[str, Any]
            ) -> list[tuple[str, bool, str]]:
    rows = []
    for name in TARGETED:
        s = stats.get(name)
        if s:
            rows.append((f"p95 of {name} under {TARGET_MS} ms", s["p95"] < TARGET_MS,
                         f"p95 {s['p95']:.0f} ms"))
    # Counted by the users from the first request on (locust's table starts after sign-in).
    failed = tally["failures"]
    rows.append(("zero errors", not failed, f"{sum(failed.values())} failed requests"
                 + (f" ({', '.join(f'{k}: {n}' for k, n in failed.items())})" if failed else "")))
    return rows


def statuses(tally: dict[str, Any]) -> str:
    """Every answer by status over all request types."""
    counts: dict[str, int] = {}
    for per in tally["statuses"].values():
        for status, n in per.items():
            counts[status] = counts.get(status, 0) + n
    return ", ".join(f"{s}: {n}" for s, n in sorted(counts.items()))
