"""The files of a record through the form APIs (JWT, like every API route):

- GET /api/v1/<form>/<pk>/files: each file field's files (name, type, size, SHA-256, when,
  and its download address);
- GET /api/v1/<form>/<pk>/files/<token>: one of them, served and audited as the screens'
  /files/<token> is (app/views/files.py).
Both take the form's `show` permission and the record's row scope (404 outside). Files are
uploaded on the screens; a record's body sends the names, and a body sent back ignores them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app, url_for
from flask_appbuilder.api import expose, safe
from flask_appbuilder.security.decorators import permission_name, protect
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from app.files import service
from app.files.model import PortalFile
from app.spec import FormSpec
from app.views.api.decorators import PK, answers, localized
from app.views.api.payload import ApiError
from app.views.files import file_response, stored


def described(row: PortalFile, endpoint: str, pk: int) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "content_type": row.content_type,
            "size": row.size, "sha256": row.sha256,
            "uploaded_on": row.uploaded_on.isoformat(timespec="seconds"),
            "url": url_for(f"{endpoint}.file", pk=pk, token=row.token, _external=True)}


class FilesApiMixin:
    """Mixed into PortalModelApi (the attributes below are its own)."""

    __form__: FormSpec
    _item: Callable[[int], Any]
    response: Callable[..., Response]
    endpoint: str

    def _files(self, pk: int) -> dict[str, list[PortalFile]]:
        self._item(pk)  # the row scope: 404 outside it
        session = current_app.extensions["appbuilder"].session
        return service.files_of_record(session, self.__form__.key, pk)

    @expose(PK + "/files", methods=["GET"])
    @localized
    @protect()
    @permission_name("show")
    @safe
    @answers
    def files(self, pk: int) -> Response:
        """The record's files, by file field (every file field, [] when it has none)."""
        rows = self._files(pk)
        return self.response(200, id=pk, result={
            f.key: [described(r, self.endpoint, pk) for r in rows.get(f.key, [])]
            for f in self.__form__.uploads})

    @expose(PK + "/files/<token>", methods=["GET"])
    @localized
    @protect()
    @permission_name("show")
    @safe
    @answers
    def file(self, pk: int, token: str) -> Response:
        """One file of the record, as downloaded from its page (audited)."""
        row = next((r for group in self._files(pk).values() for r in group
                    if r.token == token), None)
        opener = None if row is None else stored(row)
        if row is None or opener is None:
            raise ApiError(404, _("File not found."))
        return file_response(row, self.__form__.key, opener)
