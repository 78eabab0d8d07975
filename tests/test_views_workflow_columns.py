"""The workflow's system columns on the screens (app/views/workflow_columns.py): state
badges, deadlines with overdue highlighted, and the state and "overdue at" filters."""

from __future__ import annotations

import re
import uuid

from flask import Flask

from app.portal import portal_of
from app.views.workflow_columns import Deadline, FilterOverdueAt, badge, due_cell
from tests.support.app import login, user_id
from tests.support.sla import complaint, fire_at

# Only this module's complaints (product names starting so): other tests add many more.
MINE = "_flt_0_product_name=wf-col-"


def _view(app: Flask, name: str = "ComplaintView"):
    return next(v for v in app.appbuilder.baseviews if type(v).__name__ == name)


def _rows(page: str) -> dict[str, str]:
    """Product name → the list row's HTML."""
    out = {}
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", page, re.S):
        found = re.search(r"wf-col-[0-9a-f]{8}", row)
        if found:
            out[found.group(0)] = row
    return out


def test_a_badge_shows_the_state_label_in_its_colour(app: Flask) -> None:
    form = portal_of(app).spec.form("complaint")
    with app.test_request_context():
        html = str(badge(form, "escalated"))
    assert html == ('<span class="label portal-state" data-state="escalated" '
                    'style="background-color:#c9302c">已上报主管</span>')
    with app.test_request_context():
        assert str(badge(form, "gone")) == '<span class="label label-default">gone</span>'


def test_a_deadline_cell_is_red_only_when_overdue(app: Flask) -> None:
    import datetime as dt

    due = dt.datetime(2026, 10, 9, 18, 0)
    with app.test_request_context():
        assert due_cell(Deadline(due, False)) == "2026-10-09 18:00"
        red = str(due_cell(Deadline(due, True)))
        assert 'class="text-danger portal-overdue"' in red and "2026-10-09 18:00" in red
        assert due_cell(None) == ""


def test_the_list_shows_badges_and_highlights_overdue_deadlines(app: Flask) -> None:
    late, answered, fresh = (f"wf-col-{uuid.uuid4().hex[:8]}" for _ in range(3))
    complaint(app, "2026-01-05 09:00", product_name=late)  # three working days: long past
    done = complaint(app, "2026-01-05 09:00", product_name=answered)
    staff = user_id(app, "staff")
    fire_at(app, done.id, "accept", "2026-01-05 10:00", "staff", handler_id=staff)
    fire_at(app, done.id, "investigate", "2026-01-05 11:00", "staff", category="quality")
    fire_at(app, done.id, "answer", "2026-01-06 11:00", "staff", resolution="退款并致歉")
    complaint(app, "2099-01-05 09:00", product_name=fresh)
    client = app.test_client()
    login(client, "supervisor")
    page = client.get(f"/complaintview/list/?psize_ComplaintView=100&{MINE}").get_data(
        as_text=True)
    rows = _rows(page)
    assert "portal-overdue" in rows[late] and 'data-state="registered"' in rows[late]
    assert "portal-overdue" not in rows[answered]
    assert 'data-state="awaiting_confirmation"' in rows[answered]
    assert "portal-overdue" not in rows[fresh] and "2099-01-07 18:00" in rows[fresh]


def test_overdue_at_and_state_filters(app: Flask) -> None:
    late, answered, fresh = (f"wf-col-{uuid.uuid4().hex[:8]}" for _ in range(3))
    complaint(app, "2026-01-05 09:00", product_name=late)
    done = complaint(app, "2026-01-05 09:00", product_name=answered)
    staff = user_id(app, "staff")
    fire_at(app, done.id, "accept", "2026-01-05 10:00", "staff", handler_id=staff)
    complaint(app, "2099-01-05 09:00", product_name=fresh)
    offered = _view(app)._filters.get_search_filters()["sla_resolution_due"]
    index = next(i for i, f in enumerate(offered) if isinstance(f, FilterOverdueAt))
    client = app.test_client()
    login(client, "supervisor")

    def shown(query: str) -> set[str]:
        page = client.get(f"/complaintview/list/?psize_ComplaintView=100&{MINE}&{query}")
        assert page.status_code == 200
        return set(_rows(page.get_data(as_text=True))) & {late, answered, fresh}

    now = shown(f"_flt_{index}_sla_resolution_due=")
    assert now == {late, answered}  # accepted, but not yet answered: still overdue
    assert shown(f"_flt_{index}_sla_resolution_due=2026-01-07 09:00") == set()
    assert shown(f"_flt_{index}_sla_resolution_due=2026-01-08 09:01") == {late, answered}
    assert shown("_flt_0_state=accepted") == {answered}
    bad = client.get(f"/complaintview/list/?_flt_{index}_sla_resolution_due=tomorrow")
    assert bad.status_code == 400
    assert "筛选值无效（sla_resolution_due）：tomorrow" in bad.get_data(as_text=True)
