"""我的通知 and 通知设置 (app/views/notifications.py): the bell's unread count in the navigation
bar, the list with links to the records, mark one / all as read (POST with CSRF, only one's
own), the JSON count, and a user's choices (e-mail off, language) stored and used."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from app.notify.model import NotificationPref
from tests.support.app import csrf_token, login, user_id
from tests.support.notify import clear, notifications, set_pref
from tests.support.sla import complaint
from tests.support.workflow import page_text


@pytest.fixture(autouse=True)
def empty(app: Flask):
    clear(app)
    yield
    clear(app)


def bell(page: str) -> str | None:
    found = re.search(r'id="portal-bell-count">([^<]*)<', page)
    return found.group(1) if found else None


def assigned(app: Flask, n: int = 1) -> list:
    return [complaint(app, "2026-12-01 09:00", _owner="supervisor",
                      handler=user_id(app, "staff")) for _ in range(n)]


def test_the_bell_counts_unread_and_the_list_links_to_the_records(app, login_as):
    records = assigned(app, 2)
    client = login_as("staff")
    home = client.get("/").get_data(as_text=True)
    assert bell(home) == "2"
    page = client.get("/notifications/").get_data(as_text=True)
    assert page.count('class="list-group-item notify-item notify-unread"') == 2
    for record in records:
        assert f"投诉 {record.ticket_no} 已分派给您" in page
        assert f'href="/complaintview/show/{record.id}"' in page
    assert "未读：2" in page_text(page) and "全部标为已读" in page
    assert client.get("/notifications/count").get_json() == {"count": 2}


def test_marking_one_read_opens_its_record_and_lowers_the_count(app, login_as):
    record = assigned(app)[0]
    client = login_as("staff")
    [note] = notifications(app)
    token = csrf_token(client, "/notifications/")
    answer = client.post(f"/notifications/{note.id}/read", data={"csrf_token": token,
                                                                 "open": "1"})
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith(f"/complaintview/show/{record.id}")
    assert notifications(app)[0].read_at is not None
    assert bell(client.get("/").get_data(as_text=True)) is None
    assert "未读：0" in page_text(client.get("/notifications/").get_data(as_text=True))


def test_mark_all_read_and_nobody_marks_anothers(app, login_as):
    assigned(app, 3)
    set_pref(app, "supervisor", email=True)
    [first, *_rest] = notifications(app)
    client = login_as("supervisor")
    token = csrf_token(client, "/notifications/settings")
    answer = client.post(f"/notifications/{first.id}/read", data={"csrf_token": token},
                         follow_redirects=True)
    assert "该通知不属于您或已不存在。" in answer.get_data(as_text=True)
    assert all(n.read_at is None for n in notifications(app))
    assert client.post("/notifications/read-all",
                       data={"csrf_token": token}).status_code == 302
    assert all(n.read_at is None for n in notifications(app))  # none was the supervisor's
    client = app.test_client()
    login(client, "staff")
    answer = client.post("/notifications/read-all", data={
        "csrf_token": csrf_token(client, "/notifications/")}, follow_redirects=True)
    assert "已将 3 条通知标为已读。" in answer.get_data(as_text=True)
    assert all(n.read_at is not None for n in notifications(app))


def test_a_post_without_the_csrf_token_changes_nothing(app, login_as):
    assigned(app)
    client = login_as("staff")
    [note] = notifications(app)
    assert client.post(f"/notifications/{note.id}/read").status_code == 400
    assert client.post("/notifications/read-all").status_code == 400
    assert notifications(app)[0].read_at is None


def test_settings_turn_email_off_and_choose_english(app, login_as):
    client = login_as("staff")
    page = client.get("/notifications/settings").get_data(as_text=True)
    assert "发送到 staff@example.com。" in page and 'id="notify-email" checked' in \
        page.replace('value="1" id', "id")
    token = csrf_token(client, "/notifications/settings")
    answer = client.post("/notifications/settings", data={"csrf_token": token,
                                                          "language": "en"},
                         follow_redirects=True)
    assert "通知设置已保存。" in answer.get_data(as_text=True)
    with app.app_context():
        pref = app.appbuilder.session.get(NotificationPref, user_id(app, "staff"))
        assert (pref.email, pref.language) == (False, "en")
        app.appbuilder.session.rollback()
    record = assigned(app)[0]
    [note] = notifications(app)
    assert (note.title, note.language, note.email) == (
        f"Complaint {record.ticket_no} was assigned to you", "en", "no_smtp")


def test_a_language_not_offered_is_refused_and_nothing_stored(app, login_as):
    client = login_as("staff")
    token = csrf_token(client, "/notifications/settings")
    answer = client.post("/notifications/settings", data={"csrf_token": token,
                                                          "language": "fr", "email": "1"},
                         follow_redirects=True)
    assert "请选择中文或英文。" in answer.get_data(as_text=True)
    with app.app_context():
        assert app.appbuilder.session.get(NotificationPref, user_id(app, "staff")) is None
        app.appbuilder.session.rollback()
