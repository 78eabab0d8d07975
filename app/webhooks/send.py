"""The `webhook` channel of the outbox: POST a queued body to its hook's URL.

The URL and secret are read from the configuration and the environment at each attempt (they
are never stored in the outbox: robot URLs carry access tokens), so fixing a missing variable
and restarting lets the next retry through. Outcomes: 2xx delivered (a robot's answer must also
say errcode 0); 408, 425, 429 and 5xx, timeouts and refused connections are retried; other
4xx answers fail at once (the receiver refuses this body: retrying cannot help — an admin
can send it again from 推送记录 once the receiver is fixed)."""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from flask import current_app

from app.outbox.deliver import Outcome, register_sender
from app.outbox.errors import Failure, failure, from_exception
from app.portal import portal_of
from app.spec import WebhookSpec
from app.webhooks.signing import dingtalk_url, portal_signature

CHANNEL = "webhook"
RETRIED_4XX = (408, 425, 429)
EXCERPT = 500
USER_AGENT = "aftersales-portal-webhooks/1"


def _env(name: str) -> str | None:
    return os.environ.get(name) or None


def request_for(hook: WebhookSpec, row: Any, now: float
                ) -> tuple[str, dict[str, str]] | Failure:
    """(url, headers) for one attempt, or why it cannot be made."""
    url = hook.url or _env(hook.url_env or "")
    if not url:
        return failure("env_missing", name=hook.url_env)
    if not url.startswith(("http://", "https://")):
        return failure("env_not_url", name=hook.url_env)
    secret = _env(hook.secret_env) if hook.secret_env else None
    if hook.secret_env and not secret:
        return failure("env_missing", name=hook.secret_env)
    stamp = int(now)
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT,
               "X-Portal-Event": row.event, "X-Portal-Delivery": row.delivery_id,
               "X-Portal-Timestamp": str(stamp)}
    if hook.format == "json" and secret:
        headers["X-Portal-Signature"] = portal_signature(secret, stamp, row.body.encode())
    if hook.format == "dingtalk" and secret:
        url = dingtalk_url(url, secret, int(now * 1000))
    return url, headers


def robot_error(hook: WebhookSpec, text: str) -> Failure | None:
    """A robot's refusal in a 200 answer ({"errcode": n, "errmsg": …}); None when accepted."""
    if hook.format == "json":
        return None
    try:
        answer = json.loads(text)
    except ValueError:
        answer = None
    code = answer.get("errcode") if isinstance(answer, dict) else None
    if not isinstance(code, int) or isinstance(code, bool):
        return failure("not_json")
    if code == 0:
        return None
    return failure("robot", errcode=code, errmsg=str(answer.get("errmsg") or ""))


def send(row: Any) -> Outcome:
    hook = portal_of().spec.webhook(row.target)
    if hook is None:
        return Outcome(False, error=failure("hook_gone", hook=row.target), permanent=True)
    return post(hook, row)


def post(hook: WebhookSpec, row: Any) -> Outcome:
    """POST the row's body as the hook says (also the robots of notification rules)."""
    prepared = request_for(hook, row, time.time())
    if isinstance(prepared, dict):
        return Outcome(False, error=prepared)
    url, headers = prepared
    timeout = current_app.config.get("PORTAL_WEBHOOK_TIMEOUT", 10)
    req = urllib.request.Request(url, data=row.body.encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as answer:  # noqa: S310 - http(s) only
            status, text = answer.status, answer.read(EXCERPT * 4).decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        text = exc.read(EXCERPT * 4).decode("utf-8", "replace") if exc.fp else ""
        retry = exc.code in RETRIED_4XX or exc.code >= 500
        return Outcome(False, exc.code, text[:EXCERPT], failure("http", status=exc.code),
                       permanent=not retry)
    except (urllib.error.URLError, OSError) as exc:
        return Outcome(False, error=from_exception(exc, seconds=timeout,
                                                   host=urlsplit(url).hostname))
    refused = robot_error(hook, text)
    if refused:
        return Outcome(False, status, text[:EXCERPT], refused)
    return Outcome(True, status, text[:EXCERPT])


register_sender(CHANNEL, send)
