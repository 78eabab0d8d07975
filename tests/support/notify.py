"""Notification test helpers: a real SMTP server on 127.0.0.1 (aiosmtpd, in a thread) that
keeps what it receives, a config folder with the shipped rules (robots on, pointed at a
local receiver), and the notifications read back."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from flask import Flask
from sqlalchemy import delete, select

from app.notify.model import Notification, NotificationPref
from app.outbox.model import OutboxMessage
from tests.support.app import CONFIG
from tests.support.webhooks import free_port


@dataclass
class Mailbox:
    """An SMTP server keeping every message; start() / stop() like a real one going down."""

    port: int = field(default_factory=free_port)
    messages: list[EmailMessage] = field(default_factory=list)
    controller: Controller | None = None
    refuse: set[str] = field(default_factory=set)  # addresses answered 550

    async def handle_RCPT(self, _server: Any, _session: Any, envelope: Any,  # noqa: N802
                          address: str, _options: Any) -> str:
        if address in self.refuse:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"

    def start(self) -> Mailbox:
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def summary(self) -> list[tuple[str, str]]:
        """(to, subject) of each message received, in order."""
        return [(str(m["To"]), str(m["Subject"])) for m in self.messages]


def notify_config(tmp: Path, **files: str) -> Path:
    """The shipped base config (no packs), its robots switched on, plus
    notifications/<name>.yaml for each keyword (replacing a shipped rule of that name)."""
    target = tmp / "config"
    shutil.copytree(CONFIG, target, ignore=shutil.ignore_patterns("industries", "webhooks"))
    for path in (target / "notifications").glob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("enabled: false\n", ""), encoding="utf-8")
    for name, text in files.items():
        (target / "notifications" / f"{name}.yaml").write_text(text, encoding="utf-8")
    return target


def notifications(app: Flask, **where: Any) -> list[Notification]:
    """portal_notification rows (detached), oldest first, filtered by column values."""
    with app.app_context():
        session = app.appbuilder.session
        session.expire_all()
        rows = list(session.scalars(select(Notification).filter_by(**where)
                                    .order_by(Notification.id)))
        for row in rows:
            session.expunge(row)
        session.rollback()
        return rows


def told(app: Flask, **where: Any) -> list[tuple[str, str, str]]:
    """(username, rule, title) of each notification, oldest first."""
    with app.app_context():
        names = {u.id: u.username for u in app.appbuilder.sm.get_all_users()}
    return [(names[n.user_id], n.rule, n.title) for n in notifications(app, **where)]


def clear(app: Flask) -> None:
    with app.app_context():
        session = app.appbuilder.session
        conn = session.connection()
        for model in (Notification, NotificationPref, OutboxMessage):
            conn.execute(delete(model.__table__))
        session.commit()


def set_pref(app: Flask, username: str, email: bool, language: str = "zh") -> None:
    with app.app_context():
        session = app.appbuilder.session
        user = app.appbuilder.sm.find_user(username=username)
        session.merge(NotificationPref(user_id=user.id, email=email, language=language))
        session.commit()
