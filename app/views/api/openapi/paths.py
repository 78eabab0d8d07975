"""One form's paths: list and add, read, change and delete a record, `_info`, and its
workflow's transitions, each operation with the permission it needs and every answer the code
gives (app/views/api/endpoints.py, workflow.py)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from app.spec import FormSpec, RoleSpec, TransitionSpec
from app.views.api.openapi.common import JSON, answer, codes, joined, ref, refs
from app.views.api.openapi.schemas import FormSchemas


def pk() -> dict[str, Any]:
    return {"name": "pk", "in": "path", "required": True, "example": 1,
            "description": _("The record's id."),
            "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}}


def query(schema_name: str, rison: str, example: dict[str, Any]) -> dict[str, Any]:
    """The `q` parameter: a JSON (or Rison) object."""
    return {"name": "q", "in": "query", "required": False,
            "description": _("A JSON object, or the same in Rison: e.g. `%(example)s`.",
                             example=rison),
            "content": {JSON: {"schema": ref(schema_name), "example": example}}}


def granted(roles: tuple[RoleSpec, ...], form: str, action: str) -> list[str]:
    return [r.key for r in roles if r.admin or action in r.grants.get(form, ())]


class FormPaths:
    def __init__(self, schemas: FormSchemas, roles: tuple[RoleSpec, ...]) -> None:
        self.s, self.roles = schemas, roles
        self.form: FormSpec = schemas.form
        self.base = f"/api/v1/{self.form.key}"

    def permission(self, action: str) -> dict[str, Any]:
        return {"permission": f"can_{action}", "view": self.form.view_name,
                "grant": f"{action} on {self.form.key} (roles.yaml)",
                "roles": granted(self.roles, self.form.key, action)}

    def op(self, action: str, op_id: str, summary: str, description: str,
           responses: dict[str, Any], **extra: Any) -> dict[str, Any]:
        permission = self.permission(action)
        roles = codes(permission["roles"]) or _("none")
        return {"tags": [self.form.key],
                "operationId": _camel(f"{self.form.key}_{op_id}", lower=True),
                "summary": summary,
                "description": description + "\n\n" + _(
                    "Needs `%(permission)s` on `%(view)s` (roles: %(roles)s).",
                    permission=permission["permission"], view=permission["view"], roles=roles),
                "x-permission": permission, **extra,
                "responses": {**responses, **refs((401, "Unauthorized"), (403, "Forbidden"),
                                                  (503, "Unavailable"))}}

    def paths(self) -> dict[str, Any]:
        s, label = self.s, self.form.label.get()
        body = {"required": True, "content": {JSON: {"schema": ref(s.name("New"))}}}
        change = {"required": True, "content": {JSON: {"schema": ref(s.name("Change"))}}}
        out: dict[str, Any] = {
            f"{self.base}/": {
                "get": self.op("list", "list", _("List: %(form)s", form=label),
                               _("Records within your row scope, filtered, sorted and paged "
                                 "by `q`. Sensitive values are masked unless your role may "
                                 "reveal them (then the answer is audited)."),
                               {"200": answer(_("The page of records."), ref(s.name("List"))),
                                **refs((400, "BadRequest"))},
                               parameters=[query(s.name("ListQuery"), "(page:0,page_size:20)",
                                                 {"page": 0, "page_size": 20})]),
                "post": self.op("add", "add", _("Add: %(form)s", form=label),
                                _("A new record, checked by the add screen's fields; "
                                  "left-out fields take their YAML defaults."),
                                {"201": answer(_("Stored."), ref(s.name("Item"))),
                                 **refs((400, "BadRequest"), (409, "Conflict"),
                                        (422, "Unprocessable"))},
                                requestBody=body)},
            f"{self.base}/{{pk}}": {
                "parameters": [pk()],
                "get": self.op("show", "get", _("Record: %(form)s", form=label),
                               _("One record within your row scope."),
                               {"200": answer(_("The record."), ref(s.name("Show"))),
                                **refs((400, "BadRequest"), (404, "NotFound"))},
                               parameters=[query(s.name("ShowQuery"), "(keys:!(none))",
                                                 {"keys": ["none"]})]),
                "put": self.op("edit", "edit", _("Change: %(form)s", form=label),
                               _("Changes the fields sent (a record read and sent back is "
                                 "fine: unchanged values, the system columns and masks are "
                                 "ignored). 409 in a locked workflow state or when `version` "
                                 "is not the stored one."),
                               {"200": answer(_("Stored."), ref(s.name("Item"))),
                                **refs((400, "BadRequest"), (404, "NotFound"),
                                       (409, "Conflict"), (422, "Unprocessable"))},
                               requestBody=change),
                "delete": self.op("delete", "delete", _("Delete: %(form)s", form=label),
                                  _("Deletes the record, unless other records still refer "
                                    "to it or its workflow state is locked (409)."),
                                  {"200": answer(_("Deleted."), ref("Message")),
                                   **refs((404, "NotFound"), (409, "Conflict"),
                                          (422, "Unprocessable"))})},
            f"{self.base}/_info": {
                "get": self.op("list", "info", _("Fields and filters: %(form)s", form=label),
                               _("What a client needs to build a form: the fields with their "
                                 "rules, the search filters, your permissions."),
                               {"200": answer(_("The form's description."),
                                              ref(s.name("Info"))),
                                **refs((400, "BadRequest"))},
                               parameters=[query(s.name("InfoQuery"), "(keys:!(add_columns))",
                                                 {"keys": ["add_columns"]})])},
        }
        if self.form.workflow is not None:
            out.update(self.workflow_paths())
        return out

    def workflow_paths(self) -> dict[str, Any]:
        s = self.s
        workflow = self.form.workflow
        assert workflow is not None
        out: dict[str, Any] = {f"{self.base}/{{pk}}/transitions": {
            "parameters": [pk()],
            "get": self.op("show", "transitions",
                           _("Possible actions: %(form)s", form=self.form.label.get()),
                           _("The transitions you may fire on the record now, with approval "
                             "progress."),
                           {"200": answer(_("What you may do."), ref(s.name("Transitions"))),
                            **refs((404, "NotFound"))})}}
        for t in workflow.transitions:
            out[f"{self.base}/{{pk}}/transition/{t.key}"] = {
                "parameters": [pk()], "post": self.transition(t)}
        return out

    def transition(self, t: TransitionSpec) -> dict[str, Any]:
        workflow = self.form.workflow
        assert workflow is not None
        states = {st.key: st.label.get() for st in workflow.states}
        sources = joined(f"{states.get(k, k)} (`{k}`)" for k in t.sources)
        notes = [_("From %(sources)s to %(target)s.", sources=sources,
                   target=f"{states.get(t.target, t.target)} (`{t.target}`)"),
                 _("Roles that may fire it: %(roles)s (and roles inheriting them).",
                   roles=codes(t.roles))]
        if t.approvals and t.approver_role:
            notes.append(_("Needs %(count)s approvals of the role %(role)s: each call adds "
                           "one; the last one moves the record.", count=t.approvals,
                           role=f"`{t.approver_role}`"))
        elif t.approvals:
            notes.append(_("Needs %(count)s approvals: each call adds one; the last one "
                           "moves the record.", count=t.approvals))
        if t.no_self_approval:
            notes.append(_("The record's creator or requester may not fire it."))
        if t.condition:
            notes.append(_("Only when `%(condition)s` (else 400).", condition=t.condition))
        if t.required_fields:
            notes.append(_("Fields that must hold a value: %(fields)s (stored, or sent in "
                           "`values`).", fields=codes(t.required_fields)))
        notes.append(_("Runs the record page's checks, history and audit event. 400: the "
                       "body, a missing comment or field, a condition not met; 403: not your "
                       "transition; 409: the record moved on (another state or version)."))
        operation = self.op("show", f"transition_{t.key}", t.label.get(), " ".join(notes),
                            {"200": answer(_("Fired (or one approval recorded)."),
                                           ref(self.s.name("Fired"))),
                             **refs((400, "BadRequest"), (404, "NotFound"),
                                    (409, "Conflict"))},
                            requestBody={"required": True, "content": {JSON: {
                                "schema": ref(self.s.name(f"Fire{_camel(t.key)}"))}}})
        operation["x-transition"] = {"key": t.key, "from": list(t.sources), "to": t.target,
                                     "roles": list(t.roles), "comment": t.comment,
                                     "approvals": t.approvals,
                                     "required_fields": list(t.required_fields)}
        return operation

    def schemas(self) -> dict[str, Any]:
        s = self.s
        out = {s.name("Record"): s.record(), s.name("New"): s.new(),
               s.name("Change"): s.change(), s.name("ListQuery"): s.list_query(),
               s.name("ShowQuery"): s.show_query(), s.name("InfoQuery"): s.info_query(),
               s.name("List"): s.listing(), s.name("Item"): s.item(meta=False),
               s.name("Show"): s.item(meta=True), s.name("Info"): s.info()}
        if self.form.workflow is not None:
            out[s.name("Transitions")] = s.offers()
            out[s.name("Fired")] = s.fired()
            for t in self.form.workflow.transitions:
                out[s.name(f"Fire{_camel(t.key)}")] = s.fire(t)
        return out

    def tag(self) -> dict[str, Any]:
        label = self.form.label.get()
        description = self.form.description.get() if self.form.description else ""
        return {"name": self.form.key,
                "description": _("%(form)s. %(description)s", form=label,
                                 description=description).strip() if description
                else _("%(form)s.", form=label)}


def _camel(key: str, lower: bool = False) -> str:
    """complaint_transition_not_accepted → ComplaintTransitionNotAccepted (lower: complaint…):
    Swagger UI's deep links take no `_`, and code generators name methods after these."""
    camel = "".join(part.capitalize() for part in key.split("_"))
    return camel[:1].lower() + camel[1:] if lower else camel
