"""Why an attempt to send an outbox message failed, in no language: a code and its parameters
(a `Failure`), stored as JSON in portal_outbox.last_error and in each attempt of its history.
Screens and the CLI say it as a sentence of their language (`describe`); a text from the other
system or from Python (`detail`, a robot's `errmsg`) is data, quoted apart, never the sentence.

    {"code": "refused"}                                   the connection was refused
    {"code": "reset"}                                     the receiver closed the connection
    {"code": "timeout", "seconds": 10}                    no answer within the timeout
    {"code": "dns", "host": "crm.example.com"}            the host name does not resolve
    {"code": "tls", "detail": "…"}                        the HTTPS handshake failed
    {"code": "network", "detail": "…"}                    another network error
    {"code": "http", "status": 500}                       an answer other than 2xx
    {"code": "robot", "errcode": 93000, "errmsg": "…"}    a group robot refused the message
    {"code": "not_json"}                                  a robot's answer without a JSON errcode
    {"code": "env_missing", "name": "PORTAL_X"}           an environment variable is not set
    {"code": "env_not_url", "name": "PORTAL_X"}           … is not an http(s):// URL
    {"code": "hook_gone", "hook": "crm"}                  the hook is no longer configured
    {"code": "no_sender", "channel": "mail"}              nothing sends this channel
    {"code": "rule_gone", "rule": "x"}                    the notification rule is gone
    {"code": "smtp", "status": 550, "detail": "…"}        the mail server refused (SMTP reply)
    {"code": "other", "detail": "TypeError: …"}           anything else (a bug: see the detail)
"""

from __future__ import annotations

import json
import socket
import ssl
import urllib.error
from typing import Any

from flask_babel import gettext as _

Failure = dict[str, Any]
COLUMN = 500  # portal_outbox.last_error's length
TEXT = 200  # a quoted text kept at most


def failure(code: str, **params: Any) -> Failure:
    """A failure; quoted texts cut to TEXT characters."""
    return {"code": code, **{k: v[:TEXT] if isinstance(v, str) else v
                             for k, v in params.items()}}


def from_exception(exc: BaseException, *, seconds: float | None = None,
                   host: str | None = None) -> Failure:
    """A network error of urllib (URLError, OSError) classified: refused, timeout, dns, tls,
    reset, network; anything else is `other`."""
    reason: Any = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if not isinstance(reason, BaseException):
        return failure("other", detail=str(reason))
    if isinstance(reason, ConnectionRefusedError):
        return failure("refused")
    if isinstance(reason, TimeoutError):  # socket.timeout too
        return failure("timeout", seconds=seconds)
    if isinstance(reason, socket.gaierror):
        return failure("dns", host=host or "")
    if isinstance(reason, (ssl.SSLError, ssl.CertificateError)):
        return failure("tls", detail=str(reason))
    if isinstance(reason, (ConnectionResetError, ConnectionAbortedError, BrokenPipeError)):
        return failure("reset")
    if isinstance(reason, OSError):
        return failure("network", detail=f"{type(reason).__name__}: {reason}")
    return failure("other", detail=f"{type(reason).__name__}: {reason}")


def dumps(error: Failure | None) -> str | None:
    """The JSON stored in last_error, at most COLUMN characters (quoted texts shortened)."""
    if not error:
        return None
    text = json.dumps(error, ensure_ascii=False)
    while len(text) > COLUMN:
        error = {k: v[:len(v) // 2] if isinstance(v, str) and len(v) > 8 else v
                 for k, v in error.items()}
        text = json.dumps(error, ensure_ascii=False)
    return text


def loads(stored: Any) -> Failure | None:
    """A stored failure (JSON text, or already a dict in a history); a plain text stored
    before codes existed is `other` with that text as its detail."""
    if not stored:
        return None
    if isinstance(stored, dict):
        return stored
    try:
        found = json.loads(stored)
    except ValueError:
        found = None
    return found if isinstance(found, dict) and "code" in found else failure(
        "other", detail=str(stored))


def describe(error: Failure | None) -> str:
    """The failure as a sentence in the request's language ('' for none)."""
    if not error:
        return ""
    code = error.get("code")
    if code == "refused":
        return _("Could not connect to the receiver (connection refused)")
    if code == "reset":
        return _("The receiver closed the connection without answering")
    if code == "timeout":
        return _("The receiver did not answer within %(seconds)s seconds",
                 seconds=error.get("seconds") or "?")
    if code == "dns":
        return _("The receiver's server %(host)s was not found (its name does not resolve)",
                 host=error.get("host") or "")
    if code == "tls":
        return _("The secure connection (HTTPS) to the receiver failed")
    if code == "network":
        return _("Could not connect to the receiver (network error)")
    if code == "http":
        return _("The receiver answered HTTP %(status)s", status=error.get("status"))
    if code == "robot":
        return _("The group robot refused the message (error code %(errcode)s)",
                 errcode=error.get("errcode"))
    if code == "not_json":
        return _("The group robot's answer was not understood")
    if code == "env_missing":
        return _("The environment variable %(name)s is not set", name=error.get("name"))
    if code == "env_not_url":
        return _("The environment variable %(name)s is not an http:// or https:// address",
                 name=error.get("name"))
    if code == "hook_gone":
        return _("The hook is no longer configured")
    if code == "no_sender":
        return _("Nothing can send this kind of message")
    if code == "rule_gone":
        return _("The notification rule is no longer configured")
    if code == "smtp":
        return _("The mail server refused the message (SMTP %(status)s)",
                 status=error.get("status"))
    return _("An unexpected error occurred while sending")


def detail(error: Failure | None) -> str:
    """Python's own words in a failure (tls, network, smtp, other; '' for none): quoted data. A
    robot's errmsg is in its answer, which the page quotes whole (last_response)."""
    return str(error.get("detail") or "") if error else ""
