"""The `robot` channel of the outbox: a notification rule's message to its 企业微信 / 钉钉
group robot, posted like a robot webhook (app/webhooks/send.py: the URL and 钉钉's 加签
secret read from the environment at each attempt, a robot's errcode checked)."""

from __future__ import annotations

from typing import Any

from app.outbox.deliver import Outcome, register_sender
from app.outbox.errors import failure
from app.portal import portal_of
from app.spec import WebhookSpec
from app.webhooks.send import post

CHANNEL = "robot"


def send(row: Any) -> Outcome:
    rule = portal_of().spec.notification(row.target)
    if rule is None or rule.robot is None:
        return Outcome(False, error=failure("rule_gone", rule=row.target), permanent=True)
    hook = WebhookSpec(rule.key, rule.label, rule.form, (), url_env=rule.robot_url_env,
                       secret_env=rule.robot_secret_env, format=rule.robot)
    return post(hook, row)


register_sender(CHANNEL, send)
