"""A record on paper: the print view of any record (`/print/<pk>`: its fields grouped as on
the record page, formatted and masked by the same formatters, with CSS for A4 paper) and PDFs
rendered on the server by WeasyPrint from the templates a pack declares for a form
(`config/prints/<form>/<name>.html`, a pack's `prints/`, checked by
app/config/lint/prints.py), e.g. the settlement agreement of a compensation.

Both need the form's `show` permission and the record in the user's row scope (else 404);
every PDF download is audited (`print`, with the template's name)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from flask import Response, abort, render_template
from flask_appbuilder.baseviews import expose
from flask_appbuilder.security.decorators import has_access, permission_name
from flask_babel import gettext as _
from jinja2.sandbox import SandboxedEnvironment

from app.audit import log as audit
from app.fieldtypes.registry import mask
from app.fieldtypes.signature import data_uri
from app.portal import portal_of
from app.spec import STATE_COLUMN, current_lang
from app.views.files import image_data_uris
from app.workflow.store import history

DIGITS = "零壹贰叁肆伍陆柒捌玖"
UNITS = ["", "拾", "佰", "仟"]
GROUPS = ["", "万", "亿"]
# Print templates run sandboxed, every value escaped: a customer named <img src=…> is text.
TEMPLATES = SandboxedEnvironment(autoescape=True)


def upper_amount(value: Any) -> str:
    """An amount in yuan in Chinese capitals (大写), as on a receipt: 壹仟贰佰叁拾肆元伍角整."""
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return ""
    if amount < 0:
        return "负" + upper_amount(-amount)
    cents = int(amount * 100)
    yuan, jiao, fen = cents // 100, cents // 10 % 10, cents % 10
    text = ""
    if yuan:
        group_index, zero = 0, False
        parts: list[str] = []
        while yuan:
            yuan, group = divmod(yuan, 10_000)
            chunk, pending_zero = "", False
            for i in range(4):
                digit = group // 10 ** i % 10
                if digit:
                    chunk = DIGITS[digit] + UNITS[i] + ("零" if pending_zero else "") + chunk
                    pending_zero = False
                elif chunk:
                    pending_zero = True
            if chunk:
                parts.insert(0, chunk + GROUPS[group_index] + ("零" if zero else ""))
            zero = group < 1000 and bool(chunk or parts)
            group_index += 1
        text = "".join(parts).rstrip("零") + "元"
    if not jiao and not fen:
        return (text or "零元") + "整"
    if jiao:
        text += DIGITS[jiao] + "角"
    elif text:
        text += "零"
    return text + (DIGITS[fen] + "分" if fen else "整")


def shown(record: Any, key: str) -> str:
    """A field of any record for paper: a sensitive value always masked."""
    value = getattr(record, key, None)
    form = getattr(type(record), "__form__", None)
    if form is not None and key in {f.key for f in form.fields}:
        spec = form.field(key)
        if spec.sensitive:
            return mask(spec, value)
    return "" if value is None else str(value)


class PrintViewMixin:
    """The `print` and `pdf` routes of PortalModelView (permission can_show)."""

    __form__: Any
    datamodel: Any
    show_columns: list[str]
    label_columns: dict[str, Any]
    formatters_columns: dict[str, Any]
    show_fieldsets: Any
    _base_filters: Any

    state_badge: Any
    history_row: Any
    record_title: Any

    def _printed(self, pk: int) -> dict[str, Any]:
        """What the print view and a PDF template show of the record: 404 out of scope."""
        record = self.datamodel.get(pk, self._base_filters)
        if record is None:
            abort(404)
        values = dict(zip(self.show_columns,
                          self.datamodel.get_values_item(record, self.show_columns),
                          strict=True))
        fields = {}
        for key, value in values.items():
            formatter = self.formatters_columns.get(key)
            fields[key] = formatter(value) if formatter else ("" if value is None else value)
        form = self.__form__
        steps = [self.history_row(e) for e in history(self.datamodel.session, form.key,
                                                      record.id)] if form.workflow else []
        state = getattr(record, STATE_COLUMN, None) if form.workflow else None
        return {"record": record, "pk": pk, "form": form, "fields": fields,
                "labels": {k: str(self.label_columns.get(k, k)) for k in self.show_columns},
                "groups": self.show_fieldsets or [("", {"fields": self.show_columns})],
                "title": str(record), "state": self.state_badge(state) if state else "",
                "history": steps, "shown": shown, "upper_amount": upper_amount,
                "signature_uri": data_uri,
                "today": dt.date.today().isoformat(), "view": self, "lang": current_lang(),
                # a file field's images as data: URIs ({name, src}), for PDF templates
                "images": lambda key: image_data_uris(form.key, record.id, key),
                "prints": portal_of().spec.prints_of(form.key)}

    @expose("/print/<int:pk>")
    @has_access
    @permission_name("show")
    def print(self, pk: int) -> Any:
        """The record on paper: its fields, state and workflow history; print CSS."""
        return render_template("portal/print.html", **self._printed(pk))

    @expose("/pdf/<int:pk>/<name>")
    @has_access
    @permission_name("show")
    def pdf(self, pk: int, name: str) -> Any:
        """The record rendered into the form's print template `name`, as a PDF download."""
        context = self._printed(pk)
        chosen = next((t for t in context["prints"] if t.name == name), None)
        if chosen is None:
            from app.views.errors import TITLES, error_page

            return error_page(404, _("There is no print template '%(name)s' for %(form)s.",
                                     name=name[:40], form=self.__form__.label.get()),
                              TITLES[404]), 404
        path = Path(chosen.path)
        source = path.read_text(encoding="utf-8")
        html = TEMPLATES.from_string(source).render(**context)
        from weasyprint import HTML, URLFetcher  # imported on first use: it loads pango

        # Nothing is fetched while rendering (no file, no address): images are data: URIs.
        fetcher = URLFetcher(allowed_protocols=("data",))
        body = HTML(string=html, base_url=str(path.parent), url_fetcher=fetcher).write_pdf()
        session = self.datamodel.session
        audit.record(session, "print", form=self.__form__.key, record_id=pk,
                     details={"template": name, "format": "pdf"})
        session.commit()
        filename = f"{self.__form__.key}-{pk}-{name}.pdf"
        return Response(body, mimetype="application/pdf", headers={
            "Content-Disposition": f"attachment; filename={filename}"})
