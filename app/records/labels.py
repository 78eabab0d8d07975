"""Labels of the columns every generated form has besides its fields."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.spec import STATE_COLUMN

# System columns as the screens show them.
SYSTEM_LABELS = {
    "id": _l("No."),
    "created_on": _l("Created on"),
    "changed_on": _l("Changed on"),
    "created_by": _l("Created by"),
    "changed_by": _l("Changed by"),
}
# System columns as the API describes them.
API_LABELS = {"id": _l("No."), "version": _l("Version"), "created_on": _l("Created on"),
              "changed_on": _l("Changed on")}
# The workflow's state and the SLA's deadlines.
WORKFLOW_LABELS = {
    STATE_COLUMN: _l("State"),
    "sla_response_due": _l("First response due"),
    "sla_responded_on": _l("First response on"),
    "sla_resolution_due": _l("Resolution due"),
    "sla_resolved_on": _l("Resolved on"),
    "sla_response_breached": _l("First response overdue"),
    "sla_resolution_breached": _l("Resolution overdue"),
    "sla_escalated_on": _l("Escalated on"),
}
