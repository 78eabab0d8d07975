"""What every endpoint of the form APIs shares: the record id in the URL, answers in the
request's language, refusals (ApiError) as their JSON answer."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import current_app, request
from flask_babel import force_locale
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from app.db.unavailable import is_unavailable, unavailable_response
from app.views.api.payload import ApiError

PK = "/<int(max=2147483647):pk>"  # an INTEGER id; anything else is no record (404)


def api_locale() -> str:
    """FAB's `_l_=en`, else the Accept-Language header, else the portal's default (zh);
    an API call has no session to keep a choice in."""
    languages = list(current_app.config["LANGUAGES"])
    chosen = request.args.get("_l_", "")
    if chosen in languages:
        return chosen
    best = request.accept_languages.best_match(languages)
    return str(best or current_app.config["BABEL_DEFAULT_LOCALE"])


def localized(f: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(f)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        with force_locale(api_locale()):
            return f(self, *args, **kwargs)
    return wrapper


def answers(f: Callable[..., Any]) -> Callable[..., Any]:
    """An ApiError raised anywhere below becomes its JSON answer; a database out of reach
    the 503 answer (FAB's @safe around this would make it a 500)."""
    @functools.wraps(f)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Response:
        try:
            return f(self, *args, **kwargs)
        except ApiError as exc:
            return self.response(exc.status, message=exc.message)
        except SQLAlchemyError as exc:
            if not is_unavailable(exc):
                raise
            return unavailable_response(exc)
    return wrapper
