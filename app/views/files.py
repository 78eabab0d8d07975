"""File and image fields on the screens: files stored when their record is saved, shown on
the record page (images as thumbnails opening full size, other files as download links), and
downloaded at /files/<token> by users who may see the record (its form's show permission and
its row scope; anyone else gets a 404). Every download is audited. Only the safe image types
are shown inline; everything else is an attachment, never run in the portal's origin."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO
from urllib.parse import quote

from flask import (
    Response,
    abort,
    current_app,
    g,
    redirect,
    request,
    stream_with_context,
    url_for,
)
from flask_appbuilder import BaseView, expose
from markupsafe import Markup
from sqlalchemy import select

from app.audit import log as audit
from app.db.users import current_user_id, request_user
from app.fieldtypes import uploads
from app.fieldtypes.forms import FieldContext
from app.fieldtypes.registry import build_field
from app.fieldtypes.sniff import IMAGE_TYPES
from app.files import service
from app.files.model import PortalFile
from app.files.storage import CHUNK
from app.portal import portal_of
from app.security.access import current_access, scope_clause
from app.spec import FieldSpec, FormSpec
from app.views.export import later

# A downloaded file may run nothing, load nothing and be framed by no page of the portal.
FILE_CSP = "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'"


def download_url(row: PortalFile, thumb: bool = False) -> str:
    return url_for("PortalFileView.thumb" if thumb else "PortalFileView.download",
                   token=row.token)


def _record_pk(form: FormSpec, page: str) -> int | None:
    """The record of this request when it is `form`'s record page (show) or edit screen."""
    if request.endpoint != f"{form.view_name}.{page}":
        return None
    pk = (request.view_args or {}).get("pk")
    return int(str(pk)) if str(pk).isdigit() else None


def _page_files(form: FormSpec, pk: int) -> dict[str, list[PortalFile]]:
    return _page_files_of(form.key, pk)


def _page_files_of(form: str, pk: int) -> dict[str, list[PortalFile]]:
    """The record's files, by field: one query however many file fields the page shows."""
    cache = g.setdefault("portal_page_files", {})
    if (form, pk) not in cache:
        session = current_app.extensions["appbuilder"].session
        cache[(form, pk)] = service.files_of_record(session, form, pk)
    return cache[(form, pk)]  # type: ignore[no-any-return]


def file_cell(form: FormSpec, field: FieldSpec) -> Any:
    """The formatter of a file field: on the record page its files (thumbnails of images,
    links with name and size), elsewhere (the list) how many there are."""
    count = uploads.file_count(field)

    def show(value: Any) -> Any:
        pk = _record_pk(form, "show") or _record_pk(form, "print")
        if pk is None:
            return count(value)
        rows = _page_files(form, pk).get(field.key, [])
        parts = [_thumb(r) if r.content_type in IMAGE_TYPES else _link(r) for r in rows]
        return Markup('<div class="portal-files">{0}</div>').format(
            Markup("").join(parts)) if parts else ""
    return show


def _thumb(row: PortalFile) -> Markup:
    return Markup('<a class="portal-file-image" href="{0}" target="_blank" rel="noopener" '
                  'title="{1}"><img src="{2}" alt="{1}" loading="lazy" '
                  'style="max-width:120px;max-height:120px;margin:0 6px 6px 0"></a>').format(
        download_url(row), row.name, download_url(row, thumb=True))


def _link(row: PortalFile) -> Markup:
    return Markup('<div class="portal-file"><i class="fa fa-paperclip"></i> '
                  '<a href="{0}">{1}</a> <span class="text-muted">{2}</span></div>').format(
        download_url(row), row.name, uploads.size_text(row.size))


def image_data_uris(form: str, pk: int, field: str, px: int = 600) -> list[dict[str, str]]:
    """The images of a record's field for a PDF template (WeasyPrint fetches nothing but
    data: URIs): each as {name, src}, at most `px` on its longer side."""
    out = []
    for row in _page_files_of(form, pk).get(field, []):
        data = read_file(row) if row.content_type in IMAGE_TYPES else None
        if data is None:
            continue
        small, mimetype = service.thumbnail(data, px)
        out.append({"name": row.name,
                    "src": f"data:{mimetype};base64,{base64.b64encode(small).decode()}"})
    return out


def upload_fields(form: FormSpec) -> dict[str, Any]:
    """The add and edit screens' upload inputs, the edit screen listing attached files."""
    def existing(field: FieldSpec) -> Any:
        def attached() -> list[uploads.Attached]:
            pk = _record_pk(form, "edit")
            if pk is None:
                return []
            return [uploads.Attached(r.id, r.name, r.size, download_url(r))
                    for r in _page_files(form, pk).get(field.key, [])]
        return attached

    context = FieldContext(datamodel=None, fetch=lambda f: lambda pk: None,
                           label=lambda f: str, form_key=form.key, existing=existing)
    return {f.key: build_field(f, context) for f in form.uploads}


class FilesViewMixin:
    """Of the generated form screens: the files a save brings are checked by their fields
    (app/fieldtypes/uploads.py) before anything is written; the column is set to the names
    with the record, and the files are stored once the record is saved."""

    __form__: Any
    datamodel: Any

    def _set_names(self, item: Any) -> None:
        pending = item.__dict__.get("portal_pending_files") or {}
        session = self.datamodel.session
        with session.no_autoflush:  # the record is saved once, with its names (one version)
            for key, change in pending.items():
                kept = [] if item.id is None else [
                    r for r in service.files_of(session, self.__form__.key, key, item.id)
                    if r.id not in change.removed]
                setattr(item, key, service.names([*kept, *change.uploads]))

    def pre_add(self, item: Any) -> None:
        super().pre_add(item)  # type: ignore[misc]
        self._set_names(item)

    def pre_update(self, item: Any) -> None:
        super().pre_update(item)  # type: ignore[misc]
        self._set_names(item)

    def _store(self, item: Any) -> None:
        pending = item.__dict__.pop("portal_pending_files", None) or {}
        if not any(c.uploads or c.removed for c in pending.values()):
            return
        session = self.datamodel.session
        form = self.__form__.key
        for key, change in pending.items():
            gone = [r for r in service.files_of(session, form, key, item.id)
                    if r.id in change.removed]
            service.discard(session, gone)
            for upload in change.uploads:
                service.store(session, form=form, field=key, record_id=item.id,
                              name=upload.name, data=upload.data,
                              content_type=upload.content_type, user_id=current_user_id())
        session.commit()

    def post_add(self, item: Any) -> None:
        self._store(item)
        super().post_add(item)  # type: ignore[misc]

    def post_update(self, item: Any) -> None:
        self._store(item)
        super().post_update(item)  # type: ignore[misc]

    def post_delete(self, item: Any) -> None:
        """A deleted record's files go with it."""
        session = self.datamodel.session
        rows = service.files_of_record(session, self.__form__.key, item.id)
        if rows:
            service.discard(session, [r for group in rows.values() for r in group])
            session.commit()
        super().post_delete(item)  # type: ignore[misc]


def reachable(row: PortalFile | None) -> FormSpec | None:
    """The file's form when the user may see its record: the form's show permission and the
    record within the user's row scope (a retired field's files stay reachable so)."""
    if row is None or request_user() is None:
        return None
    portal = portal_of()
    appbuilder = current_app.extensions["appbuilder"]
    form = next((f for f in portal.spec.forms if f.key == row.form), None)
    if form is None or not appbuilder.sm.has_access("can_show", form.view_name):
        return None
    model = portal.models.models[form.key]
    query = select(model.id).where(model.id == row.record_id)
    clause = scope_clause(model, form, current_access())
    if clause is not None:
        query = query.where(clause)
    return form if appbuilder.session.scalar(query) is not None else None


def file_response(row: PortalFile, form: str, opener: Callable[[], BinaryIO]) -> Response:
    """A file as downloaded (audited): an image of a safe type inline, anything else an
    attachment typed as bytes (PDF and Office files keep their type); never sniffed, never
    run (sandbox). Sent a chunk at a time from its storage, whatever its size."""
    session = current_app.extensions["appbuilder"].session
    audit.record(session, "download", form=form, record_id=row.record_id, details={
        "field": row.field, "file": row.name, "size": row.size, "sha256": row.sha256})
    session.commit()
    inline = row.content_type in IMAGE_TYPES
    mimetype = row.content_type if inline or row.content_type.startswith(
        "application/") else "application/octet-stream"
    return Response(later(stream_with_context(_chunks(opener))), mimetype=mimetype, headers={
        "Content-Disposition": disposition("inline" if inline else "attachment", row.name),
        "Content-Length": str(row.size),
        "Content-Security-Policy": FILE_CSP, "X-Content-Type-Options": "nosniff"})


def _chunks(opener: Callable[[], BinaryIO]) -> Iterator[bytes]:
    """The file opened when its first byte is sent (a response never read opens nothing)."""
    with opener() as stream:
        while block := stream.read(CHUNK):
            yield block


def stored(row: PortalFile) -> Callable[[], BinaryIO] | None:
    """How to open the file's bytes; None when its storage has lost them."""
    session = current_app.extensions["appbuilder"].session
    try:
        service.open_file(session, row).close()
    except FileNotFoundError:
        return None
    return lambda: service.open_file(current_app.extensions["appbuilder"].session, row)


def read_file(row: PortalFile) -> bytes | None:
    """The file's bytes; None when its storage has lost them."""
    try:
        with service.open_file(current_app.extensions["appbuilder"].session, row) as stream:
            return stream.read()
    except FileNotFoundError:
        return None


def disposition(kind: str, name: str) -> str:
    fallback = "".join(c if c.isascii() and c.isalnum() or c in "._-" else "_" for c in name)
    return f"{kind}; filename=\"{fallback or 'file'}\"; filename*=UTF-8''{quote(name)}"


class PortalFileView(BaseView):
    route_base = "/files"
    default_view = "download"

    def _row(self, token: str) -> tuple[PortalFile, FormSpec]:
        if request_user() is None:
            abort(redirect(url_for(self.appbuilder.sm.auth_view.endpoint + ".login",
                                   next=request.full_path)))
        row = service.by_token(self.appbuilder.session, token)
        form = reachable(row)
        if row is None or form is None:
            abort(404)
        return row, form

    def _open(self, row: PortalFile) -> Callable[[], BinaryIO]:
        opener = stored(row)
        if opener is None:
            abort(404)
        return opener

    @expose("/<token>")
    def download(self, token: str) -> Any:
        row, form = self._row(token)
        return file_response(row, form.key, self._open(row))

    @expose("/<token>/thumb")
    def thumb(self, token: str) -> Any:
        """A record page's small copy of an image (not audited: the page's read is), made
        when it was uploaded; made now for one stored without it."""
        row, _form = self._row(token)
        if row.content_type not in IMAGE_TYPES:
            abort(404)
        data, mimetype = row.thumbnail, row.thumbnail_type
        if data is None or mimetype is None:
            try:
                with self._open(row)() as stream:
                    data, mimetype = service.thumbnail(stream.read())
            except OSError:
                abort(404)
        return Response(data, mimetype=mimetype, headers={
            "Content-Disposition": disposition("inline", row.name),
            "Content-Security-Policy": FILE_CSP, "X-Content-Type-Options": "nosniff"})


def register_file_view(appbuilder: Any) -> None:
    appbuilder.add_view_no_menu(PortalFileView)

