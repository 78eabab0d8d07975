"""Webhook test helpers: a real HTTP receiver on 127.0.0.1 (in a thread), a config folder
with hooks, and the outbox rows read back."""

from __future__ import annotations

import json
import re
import shutil
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import select

from app.outbox.model import OutboxMessage
from tests.support.app import CONFIG

SECRET = "test-webhook-secret-0123456789"
HOOK = """key: crm
label: {zh: 客户系统, en: CRM}
form: complaint
events: [created, updated, transition, sla_breach]
url_env: TEST_HOOK_URL
secret_env: TEST_HOOK_SECRET
fields: [ticket_no, customer, channel, product_name, priority]
"""


def hook_config(tmp: Path, **files: str) -> Path:
    """The shipped base config (no packs) plus webhooks/<name>.yaml for each keyword."""
    target = tmp / "config"
    shutil.copytree(CONFIG, target, ignore=shutil.ignore_patterns("industries", "webhooks"))
    (target / "webhooks").mkdir()
    for name, text in (files or {"crm": HOOK}).items():
        (target / "webhooks" / f"{name}.yaml").write_text(text, encoding="utf-8")
    return target


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Delivery:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """Records every POST; answers `status` with `answer` (JSON)."""

    port: int = field(default_factory=free_port)
    status: int = 200
    answer: dict[str, Any] = field(default_factory=lambda: {"ok": True})
    received: list[Delivery] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> Receiver:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                owner.received.append(Delivery(self.path, dict(self.headers.items()),
                                               self.rfile.read(length)))
                data = json.dumps(owner.answer).encode()
                self.send_response(owner.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_args: Any) -> None:
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


def outbox(app: Flask, **where: Any) -> list[OutboxMessage]:
    """The outbox's rows (detached), oldest first, filtered by column values."""
    with app.app_context():
        session = app.appbuilder.session
        session.expire_all()
        query = select(OutboxMessage).filter_by(**where).order_by(OutboxMessage.id)
        rows = list(session.scalars(query))
        for row in rows:
            session.expunge(row)
        session.rollback()
        return rows


def clear_outbox(app: Flask) -> None:
    with app.app_context():
        session = app.appbuilder.session
        session.query(OutboxMessage).delete()
        session.commit()


def cells(page: str, table: str, labels: bool = False) -> list[list[str]]:
    """The body rows' cells as text; with `labels`, each as "data-label: text" (what a phone
    shows: portal.css turns the rows into cards)."""
    found = re.search(rf'<table[^>]*id="{table}".*?</table>', page, re.S)
    assert found, table
    head, body = found.group(0).split("</thead>")
    assert "<thead>" in head and "<tbody>" in body
    return [[(f"{label}: " if labels else "") + re.sub(r"<[^>]+>", "", text).strip()
             for label, text in re.findall(r'<td(?: data-label="([^"]*)")?[^>]*>(.*?)</td>',
                                           row, re.S)]
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)]
