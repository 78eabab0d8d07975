"""导入 on every form's list: upload a CSV or XLSX file, see every problem or a preview of
what would be stored (the check), confirm, and follow the store, all outside the request.

The work is done by a worker (app/jobs/worker.py), not by the request that uploads: a page
asks for the job's progress (/<view>/import/<job>/status) until it is finished. A job is its
uploader's: anyone else gets a 404. Needs the form's `import` grant (can_import)."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, jsonify, redirect, request, url_for
from flask_appbuilder.baseviews import expose
from flask_appbuilder.security.decorators import has_access, permission_name
from flask_babel import gettext as _
from sqlalchemy import select

from app.db.users import current_user_id
from app.jobs.model import CHECK, CHECKED, FINISHED, Job
from app.jobs.store import FileTooLarge, accept, problems_of, progress, queue_store
from app.jobs.worker import wake
from app.spec import current_lang

SUFFIXES = (".csv", ".xlsx")
RECENT = 5  # the user's own latest imports into the form, listed under the upload


def max_bytes() -> int:
    return int(current_app.config["PORTAL_IMPORT_MAX_MB"]) * (1 << 20)


class ImportViewMixin:
    """The import pages of a form's ModelView (app/views/base.py)."""

    appbuilder: Any
    endpoint: str
    __form__: Any
    render_template: Any
    class_permission_name: str

    @expose("/import/", methods=["GET", "POST"])
    @has_access
    @permission_name("import")
    def import_upload(self) -> Any:
        session = self.appbuilder.session
        if request.method == "POST":
            upload = request.files.get("file")
            problem = self._refuse(upload)
            if problem is None and upload is not None:
                try:
                    job = accept(session, upload.stream, form=self.__form__.key,
                                 user_id=current_user_id() or 0, language=current_lang(),
                                 file_name=upload.filename or "", limit=max_bytes())
                except FileTooLarge:
                    session.rollback()
                    problem = self._too_large()
                else:
                    session.commit()
                    wake()
                    return redirect(url_for(f"{self.endpoint}.import_job", job_id=job.id))
            flash(problem or "", "danger")
        recent = list(session.scalars(select(Job).where(
            Job.user_id == current_user_id(), Job.form == self.__form__.key,
            Job.kind == "import")
            .order_by(Job.id.desc()).limit(RECENT)))
        return self.render_template("portal/import.html", recent=recent,
                                    max_mb=current_app.config["PORTAL_IMPORT_MAX_MB"],
                                    template_url=self._template_url())

    def _refuse(self, upload: Any) -> str | None:
        if upload is None or not (upload.filename or "").strip():
            return _("Choose a CSV or Excel (.xlsx) file to import.")
        if not upload.filename.lower().endswith(SUFFIXES):
            return _("Only CSV (.csv) and Excel (.xlsx) files can be imported; save the file "
                     "in one of these formats.")
        if (request.content_length or 0) > max_bytes() + (1 << 16):
            return self._too_large()
        return None

    def _too_large(self) -> str:
        return _("The file is larger than %(mb)d MB; split it into smaller files.",
                 mb=current_app.config["PORTAL_IMPORT_MAX_MB"])

    def _template_url(self) -> str | None:
        name = f"{self.endpoint}.template"
        return url_for(name) if name in current_app.view_functions else None

    def _job(self, job_id: int) -> Job:
        job = self.appbuilder.session.get(Job, job_id)
        if (job is None or job.kind != "import" or job.user_id != current_user_id()
                or job.form != self.__form__.key):
            abort(404)
        return job

    @expose("/import/<int:job_id>/")
    @has_access
    @permission_name("import")
    def import_job(self, job_id: int) -> Any:
        job = self._job(job_id)
        problems = problems_of(self.appbuilder.session, job.id) if job.errors else []
        return self.render_template("portal/import_job.html", job=job, problems=problems,
                                    rows_done=progress(job), finished=job.status in FINISHED,
                                    checking=job.phase == CHECK)

    @expose("/import/<int:job_id>/status")
    @has_access
    @permission_name("import")
    def import_status(self, job_id: int) -> Any:
        job = self._job(job_id)
        return jsonify(status=job.status, phase=job.phase, rows_done=progress(job),
                       rows_total=job.rows_total, finished=job.status in FINISHED)

    @expose("/import/<int:job_id>/apply", methods=["POST"])
    @has_access
    @permission_name("import")
    def import_apply(self, job_id: int) -> Any:
        job = self._job(job_id)
        if job.status != CHECKED or job.phase != CHECK:
            flash(_("This file is not waiting to be imported."), "warning")
        else:
            queue_store(self.appbuilder.session, job)
            self.appbuilder.session.commit()
            wake()
        return redirect(url_for(f"{self.endpoint}.import_job", job_id=job.id))
