"""A long export, written by a worker: the list's 导出 of more than PORTAL_EXPORT_INLINE_ROWS
rows queues a job (app/jobs/exports.py) and answers with its page, which follows the job
(/<view>/export/<job>/status) and then offers the file (/<view>/export/<job>/file), kept in
the database so any app server can send it. A job is its user's: anyone else gets a 404.
The `export` audit event (rows, format, revealed fields, filters) is recorded when the job is
queued, as an inline export's is when it starts."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import (
    Flask,
    Response,
    abort,
    current_app,
    g,
    jsonify,
    redirect,
    request,
    stream_with_context,
    url_for,
)
from flask_appbuilder.baseviews import expose
from flask_appbuilder.security.decorators import has_access, permission_name
from flask_appbuilder.security.sqla.models import User
from flask_babel import force_locale, format_decimal

from app.audit import log as audit
from app.db.users import current_user_id
from app.jobs import exports
from app.jobs.model import DONE, FINISHED, Job
from app.jobs.store import has_file, problems_of, progress
from app.jobs.worker import wake
from app.spec import current_lang
from app.transfer.writers import XLSX_TYPE
from app.views.export import later


class ExportJobViewMixin:
    """The pages of a form's export jobs (app/views/base.py)."""

    appbuilder: Any
    endpoint: str
    __form__: Any
    render_template: Any

    def queue_export(self, fmt: str, count: int, details: dict[str, Any]) -> Any:
        session = self.appbuilder.session
        args = [[k, v] for k, v in request.args.items(multi=True) if k != "format"]
        job = exports.queue(session, form=self.__form__.key, user_id=current_user_id() or 0,
                            language=current_lang(), fmt=fmt, endpoint=self.endpoint,
                            args=args, rows=count, details=details)
        audit.record(session, "export", form=self.__form__.key,
                     details={**details, "job": job.id})
        session.commit()
        wake()
        return redirect(url_for(f"{self.endpoint}.export_job", job_id=job.id))

    def _export_job(self, job_id: int) -> Job:
        job = self.appbuilder.session.get(Job, job_id)
        if (job is None or job.kind != exports.EXPORT or job.user_id != current_user_id()
                or job.form != self.__form__.key):
            abort(404)
        return job

    @expose("/export/<int:job_id>/")
    @has_access
    @permission_name("export")
    def export_job(self, job_id: int) -> Any:
        job = self._export_job(job_id)
        session = self.appbuilder.session
        problems = problems_of(session, job.id) if job.errors else []
        kept = job.status == DONE and has_file(session, job.id)
        return self.render_template("portal/export_job.html", job=job, problems=problems,
                                    rows_done=progress(job), finished=job.status in FINISHED,
                                    kept=kept, size=size_text(job.file_size))

    @expose("/export/<int:job_id>/status")
    @has_access
    @permission_name("export")
    def export_status(self, job_id: int) -> Any:
        job = self._export_job(job_id)
        return jsonify(status=job.status, rows_done=progress(job), rows_total=job.rows_total,
                       finished=job.status in FINISHED)

    @expose("/export/<int:job_id>/file")
    @has_access
    @permission_name("export")
    def export_download(self, job_id: int) -> Any:
        job = self._export_job(job_id)
        session = self.appbuilder.session
        if job.status != DONE or not has_file(session, job.id):
            abort(404)
        mimetype = XLSX_TYPE if job.file_name.endswith(".xlsx") else "text/csv"
        body = later(stream_with_context(exports.file_chunks(session, job.id)))
        return Response(body, mimetype=mimetype, headers={
            "Content-Disposition": f"attachment; filename={job.file_name}",
            "Content-Length": str(job.file_size)})


def size_text(size: int) -> str:
    """A file's size as people read it: 812 KB, 64.7 MB."""
    if size < 1 << 20:
        return f"{format_decimal(max(size, 1) / 1024, '#,##0')} KB"
    return f"{format_decimal(size / (1 << 20), '#,##0.0')} MB"


def write_export(job: Job, user: Any, on_progress: Any) -> tuple[str, int]:
    """The job's list written into a file, in a request like the one that asked for it: the
    same URL arguments, as its user (row scope, masking), in its language."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    appbuilder = app.extensions["appbuilder"]
    view = next(v for v in appbuilder.baseviews
                if getattr(v, "endpoint", None) == (job.result or {}).get("endpoint"))
    result = job.result or {}
    query = urlencode([(k, v) for k, v in result.get("args", [])])
    with app.app_context(), app.test_request_context(query_string=query):
        g.user = appbuilder.session.get(User, user.id)
        with force_locale(job.language):
            return view.export_file(result.get("format", "csv"), on_progress)  # type: ignore[no-any-return]


def register_export_writer(_app: Flask) -> None:
    exports.register_writer(write_export)
