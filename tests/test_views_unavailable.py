"""A database out of reach (app/views/unavailable.py): 503 with a plain page or JSON in the
request's language and Retry-After, never a 500; other database errors stay errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_appbuilder.models.sqla.interface import SQLAInterface
from sqlalchemy.exc import OperationalError, ProgrammingError

from tests.support.api import call
from tests.support.factories import make_record

ZH = "数据库暂时不可用，请稍后重试"
EN = "The database is temporarily unavailable; please try again later."


def _refuse(error: Exception) -> Callable[..., Any]:
    def refused(*args: Any, **kwargs: Any) -> Any:
        raise error
    return refused


def _gone() -> OperationalError:
    return OperationalError("SELECT 1", {}, Exception(
        'connection to server at "127.0.0.1", port 5432 failed: Connection refused'))


@pytest.fixture
def record(app: Flask) -> int:
    from app.portal import portal_of

    return int(make_record(app, portal_of(app).spec.form("complaint")).id)


def test_a_screen_answers_503_in_chinese(login_as: Callable[[str], FlaskClient], record: int,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    client = login_as("staff")
    monkeypatch.setattr(SQLAInterface, "get", _refuse(_gone()))
    response = client.get(f"/complaintview/show/{record}")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    page = response.get_data(as_text=True)
    assert ZH in page and "Traceback" not in page and "5432" not in page


def test_a_screen_answers_503_in_english(login_as: Callable[[str], FlaskClient], record: int,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    client = login_as("staff")
    client.get("/lang/en")
    monkeypatch.setattr(SQLAInterface, "get", _refuse(_gone()))
    response = client.get(f"/complaintview/show/{record}")
    assert response.status_code == 503 and EN in response.get_data(as_text=True)
    monkeypatch.undo()
    assert client.get(f"/complaintview/show/{record}").status_code == 200  # served again


def test_the_api_answers_503_json(app: Flask, record: int,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(SQLAInterface, "get", _refuse(_gone()))
    response = call(app, "GET", f"/api/v1/complaint/{record}", "staff",
                    headers={"Accept-Language": "en"})
    assert response.status_code == 503 and response.get_json() == {"message": EN}
    response = call(app, "GET", f"/api/v1/complaint/{record}", "staff")
    assert response.status_code == 503 and response.get_json() == {"message": ZH}


def test_a_failing_session_check_answers_503(login_as: Callable[[str], FlaskClient],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """The first database access of a signed-in request is the session check."""
    import app.security.manager as manager

    client = login_as("staff")
    monkeypatch.setattr(manager, "check_request", _refuse(_gone()))
    response = client.get("/complaintview/list/")
    assert response.status_code == 503 and ZH in response.get_data(as_text=True)


def test_other_database_errors_are_not_hidden(login_as: Callable[[str], FlaskClient],
                                              record: int,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    client = login_as("staff")
    monkeypatch.setattr(SQLAInterface, "get", _refuse(ProgrammingError(
        "SELECT nope", {}, Exception("syntax error"))))
    with pytest.raises(ProgrammingError):  # TESTING propagates what no handler answers
        client.get(f"/complaintview/show/{record}")


def test_the_jwt_login_answers_503(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    sm = app.appbuilder.sm
    monkeypatch.setattr(type(sm), "auth_user_db", _refuse(_gone()))
    response = app.test_client().post("/api/v1/security/login", headers={
        "Accept-Language": "en"}, json={"username": "staff", "password": "x" * 12,
                                         "provider": "db", "refresh": False})
    assert response.status_code == 503 and response.get_json() == {"message": EN}
