"""What every endpoint of the form APIs shares: the record id in the URL, answers in the
request's language, refusals (ApiError) as their JSON answer."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask_babel import force_locale
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from app.db.unavailable import is_unavailable, unavailable_response
from app.i18n import api_language
from app.views.api.payload import ApiError

# A record id: digits. Ids beyond an INTEGER column are no record (404, PortalModelApi._item):
# `int(max=…)` made Werkzeug answer 405 for them, as the same path has several methods.
PK = "/<int:pk>"


def localized(f: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(f)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        with force_locale(api_language()):
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
