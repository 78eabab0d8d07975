"""Record events that other layers follow: a workflow step completed, an SLA deadline missed.

The workflow engine and the SLA run announce them here, in the transaction that makes the
change; listeners (the webhooks' capture, later notifications) register at import time.
Created and updated records need no announcement: the ORM's flush shows them to any session
listener. Independent of the audit log, which may be switched off (benchmarks)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from app.spec import FormSpec

# (session, event, form, record, details): called inside the caller's transaction.
Listener = Callable[[Session, str, FormSpec, Any, dict[str, Any]], None]
_LISTENERS: list[Listener] = []


def listen(listener: Listener) -> Listener:
    """Register `listener` (once; usable as a decorator)."""
    if listener not in _LISTENERS:
        _LISTENERS.append(listener)
    return listener


def announce(session: Session, event: str, form: FormSpec, record: Any,
             details: dict[str, Any]) -> None:
    """Tell every listener that `event` happened to `record`, in `session`'s transaction."""
    for listener in _LISTENERS:
        listener(session, event, form, record, details)
