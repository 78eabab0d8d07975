"""The `email` channel of the outbox: one queued e-mail (JSON: to, subject, text) sent over
SMTP by the worker, with the PORTAL_SMTP_* settings read at each attempt. Outcomes: accepted
→ delivered; no connection, a timeout or a 4xx reply → retried; a 5xx reply (the server
refuses this message or recipient) → failed at once. The Message-ID is the delivery id, the
same on every attempt, so a mail system can drop a repeat."""

from __future__ import annotations

import json
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

from flask import current_app

from app.outbox.deliver import Outcome, register_sender
from app.outbox.errors import Failure, failure, from_exception

CHANNEL = "email"


def message(row: Any, data: dict[str, Any], sender: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = data["to"]
    mail["Subject"] = data["subject"]
    mail["Date"] = formatdate(localtime=True)
    mail["Message-ID"] = f"<{row.delivery_id}@portal.notifications>"
    mail["X-Portal-Delivery"] = row.delivery_id
    mail["X-Portal-Rule"] = row.target
    lines = [data.get("text") or data["subject"]]
    base = current_app.config.get("PORTAL_BASE_URL") or ""
    if base and data.get("link"):
        lines += ["", base.rstrip("/") + data["link"]]
    mail.set_content("\n".join(lines))
    return mail


def _smtp_failure(exc: smtplib.SMTPException) -> tuple[Failure, bool]:
    """(failure, permanent) of an SMTP error reply."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, said = next(iter(exc.recipients.values()), (550, b""))
        text = said.decode("utf-8", "replace") if isinstance(said, bytes) else str(said)
        return failure("smtp", status=code, detail=text), code >= 500
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode("utf-8", "replace") if isinstance(
            exc.smtp_error, bytes) else str(exc.smtp_error)
        return failure("smtp", status=exc.smtp_code, detail=text), exc.smtp_code >= 500
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return failure("reset"), False
    return failure("other", detail=f"{type(exc).__name__}: {exc}"), False


def send(row: Any) -> Outcome:
    cfg = current_app.config
    host = cfg.get("PORTAL_SMTP_HOST")
    if not host:
        return Outcome(False, error=failure("env_missing", name="PORTAL_SMTP_HOST"))
    data = json.loads(row.body)
    timeout = cfg.get("PORTAL_SMTP_TIMEOUT", 10)
    port = int(cfg.get("PORTAL_SMTP_PORT") or (465 if cfg.get("PORTAL_SMTP_SSL") else 25))
    mail = message(row, data, cfg.get("PORTAL_SMTP_FROM") or f"portal@{host}")
    try:
        if cfg.get("PORTAL_SMTP_SSL"):
            client: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=timeout,
                                                    context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(host, port, timeout=timeout)
        with client:
            if cfg.get("PORTAL_SMTP_STARTTLS") and not cfg.get("PORTAL_SMTP_SSL"):
                client.starttls(context=ssl.create_default_context())
            if cfg.get("PORTAL_SMTP_USER"):
                client.login(cfg["PORTAL_SMTP_USER"], cfg.get("PORTAL_SMTP_PASSWORD") or "")
            client.send_message(mail)
    except smtplib.SMTPException as exc:
        error, permanent = _smtp_failure(exc)
        return Outcome(False, error=error, permanent=permanent)
    except OSError as exc:
        return Outcome(False, error=from_exception(exc, seconds=timeout, host=host))
    return Outcome(True, 250)


register_sender(CHANNEL, send)
