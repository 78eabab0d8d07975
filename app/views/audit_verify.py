"""The chain check's verdict in the reader's language (app/audit/log.py words it in English for
the command line)."""

from __future__ import annotations

import re

from flask_babel import gettext as _

from app.audit.log import Verdict

MISSING = re.compile(r"^sequence (\d+) is missing")
TWICE = re.compile(r"^sequence (\d+) appears twice")
HEAD = re.compile(r"^the head records (\d+) event\(s\) but the table ends at (\d+)")
UNARCHIVED = re.compile(r"^events? 1(?:–(\d+))? (?:is|are) missing and no archive accounts")


def reason_text(reason: str) -> str:
    """verify()'s reason, translated; an unknown reason is shown as it is."""
    if match := MISSING.match(reason):
        return _("sequence %(seq)s is missing (an event was deleted)", seq=match.group(1))
    if match := TWICE.match(reason):
        return _("sequence %(seq)s appears twice (an event was inserted)", seq=match.group(1))
    if match := HEAD.match(reason):
        return _("the chain head records %(head)s events but the log ends at %(last)s "
                 "(events were deleted from the end)", head=match.group(1),
                 last=match.group(2))
    if match := UNARCHIVED.match(reason):
        return _("events 1 to %(last)s are missing and no archive accounts for them (events "
                 "were deleted)", last=match.group(1) or "1")
    if reason.startswith("previous hash does not match"):
        return _("its link to the event before it is broken (events were inserted, deleted "
                 "or reordered)")
    if reason.startswith("content does not match its hash"):
        return _("its content does not match its hash (the event was edited)")
    if reason.startswith("the chain head row is missing"):
        return _("the chain head row is missing")
    return reason


def verdict_text(verdict: Verdict) -> str:
    if verdict.ok:
        archived = getattr(verdict, "unchecked", 0)  # events moved to archive files
        if archived:
            return _("The audit log is intact: %(count)d events verified. Events 1 to "
                     "%(last)d are archived and not checked here: flask portal audit verify "
                     "--archive FILE checks them.", count=verdict.checked, last=archived)
        return _("The audit log is intact: %(count)d events verified.", count=verdict.checked)
    if verdict.bad_id is not None:
        return _("The audit log has been tampered with at event %(id)s: %(reason)s. "
                 "%(count)d events before it verified.", id=verdict.bad_id,
                 reason=reason_text(verdict.reason), count=verdict.checked)
    return _("The audit log has been tampered with at its end: %(reason)s. %(count)d events "
             "verified.", reason=reason_text(verdict.reason), count=verdict.checked)
