"""The baseline of benchmarks/scale.py: a plain, hand-written Flask-AppBuilder app over the
portal's own complaint and customer tables (same database, same rows), no portal code.

Its FAB security tables (ab_*) and its admin are its own: a separate SQLite file that ATTACHes
the portal's file on every connection (unqualified names fall through to it), or a PostgreSQL
schema first on the search_path before the portal's. Served by gunicorn like the portal:

    BENCH_DATABASE_URL=... [BENCH_ATTACH=/path/portal.db] \
        gunicorn -c gunicorn.conf.py --pythonpath benchmarks 'scale_baseline:create_baseline()'
    python benchmarks/scale_baseline.py setup URL     # the ab_* tables, permissions and admin
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import sys
from typing import Any

from flask import Flask
from flask_appbuilder import AppBuilder, ModelView
from flask_appbuilder.const import AUTH_DB
from flask_appbuilder.models.sqla.base import SQLA
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import Boolean, Column, Date, DateTime, ForeignKey, Integer, String, Text, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import declarative_base, foreign, relationship

PASSWORD = "Bench-scale-pw-2026"
Base = declarative_base()  # not FAB's metadata: FAB's create_all must not touch these tables


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


class Customer(Base):
    __tablename__ = "form_customer"
    id = Column(Integer, primary_key=True)
    version = Column(Integer, nullable=False, default=1)
    created_on = Column(DateTime, nullable=False, default=_now)
    changed_on = Column(DateTime, nullable=False, default=_now, onupdate=_now)
    name = Column(String(100), nullable=False)
    phone = Column(String(32), nullable=False)
    company = Column(String(200))
    address = Column(String(300))
    email = Column(String(254))
    notes = Column(Text)

    def __str__(self) -> str:
        return str(self.name)


def _user(column: str) -> Any:
    return relationship(User, primaryjoin=lambda: foreign(getattr(Complaint, column)) == User.id)


class Complaint(Base):
    __tablename__ = "form_complaint"
    id = Column(Integer, primary_key=True)
    version = Column(Integer, nullable=False, default=1)
    created_on = Column(DateTime, nullable=False, default=_now)
    changed_on = Column(DateTime, nullable=False, default=_now, onupdate=_now)
    state = Column(String(64), nullable=False, default="registered")
    sla_resolution_due = Column(DateTime)
    customer_id = Column(Integer, ForeignKey(Customer.id), nullable=False)
    customer = relationship(Customer)
    channel = Column(String(64), nullable=False, default="phone")
    product_name = Column(String(100), nullable=False)
    product_spec = Column(String(100))
    batch_no = Column(String(40))
    production_date = Column(Date)
    occurred_at = Column(DateTime, nullable=False)
    description = Column(Text, nullable=False)
    expectation = Column(Text)
    category = Column(String(64))
    severity = Column(String(64))
    priority = Column(String(64))
    recorded_by_id = Column(Integer, nullable=False)
    recorded_by = _user("recorded_by_id")
    handler_id = Column(Integer)
    handler = _user("handler_id")
    resolution = Column(Text)
    satisfied = Column(Boolean)

    def __str__(self) -> str:
        return str(self.product_name)


FIELDS = ["customer", "channel", "product_name", "product_spec", "batch_no", "production_date",
          "occurred_at", "description", "expectation", "category", "severity", "priority",
          "recorded_by", "handler", "resolution", "satisfied"]


class ComplaintBase(ModelView):
    """The complaint list, record and add pages, as one would write them by hand."""

    datamodel = SQLAInterface(Complaint)
    list_columns = ["customer", "product_name", "category", "priority", "state",
                    "sla_resolution_due", "satisfied"]
    search_columns = ["customer", "product_name", "batch_no", "category", "severity",
                      "priority", "channel", "recorded_by", "handler", "state",
                      "sla_resolution_due"]
    order_columns = ["product_name", "category", "priority", "state", "sla_resolution_due",
                     "satisfied"]
    show_columns = FIELDS + ["state", "sla_resolution_due", "created_on", "changed_on"]
    add_columns = FIELDS
    edit_columns = FIELDS
    base_order = ("created_on", "desc")
    page_size = 20


class ComplaintStateBase(ModelView):
    """The baseline's "transition": an edit screen of the state and the handler."""

    datamodel = SQLAInterface(Complaint)
    list_columns = ["product_name", "state", "handler"]
    edit_columns = ["state", "handler"]


class CustomerBase(ModelView):
    datamodel = SQLAInterface(Customer)
    list_columns = ["name", "phone", "company"]
    search_columns = ["name", "phone", "company"]


def _attach(dbapi_conn: Any, _record: Any) -> None:
    path = os.environ.get("BENCH_ATTACH")
    if path and isinstance(dbapi_conn, sqlite3.Connection):
        dbapi_conn.execute("ATTACH DATABASE ? AS portal", (path,))


def create_baseline(url: str | None = None, update_perms: bool = False) -> Flask:
    app = Flask(__name__)
    app.config.update(
        SQLALCHEMY_DATABASE_URI=url or os.environ["BENCH_DATABASE_URL"],
        SQLALCHEMY_TRACK_MODIFICATIONS=False,
        SECRET_KEY="benchmark-only-baseline-secret-key",
        AUTH_TYPE=AUTH_DB, AUTH_ROLE_ADMIN="Admin", FAB_UPDATE_PERMS=update_perms,
        FAB_ADD_SECURITY_API=False, WTF_CSRF_ENABLED=True, BABEL_DEFAULT_LOCALE="zh")
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True}
    if not event.contains(Engine, "connect", _attach):
        event.listen(Engine, "connect", _attach)
    db = SQLA()
    db.init_app(app)
    appbuilder = AppBuilder(update_perms=update_perms)
    with app.app_context():
        appbuilder.init_app(app, db.session)
        appbuilder.add_view(ComplaintBase, "Complaints", category="Base")
        appbuilder.add_view(ComplaintStateBase, "States", category="Base")
        appbuilder.add_view(CustomerBase, "Customers", category="Base")
    return app


def setup(url: str) -> None:
    """The baseline's ab_* tables, its views' permissions and its admin (no ATTACH here)."""
    os.environ.pop("BENCH_ATTACH", None)
    app = create_baseline(url, update_perms=True)
    with app.app_context():
        sm = app.appbuilder.sm
        if not sm.find_user(username="admin"):
            sm.add_user("admin", "Admin", "User", "admin@example.com", sm.find_role("Admin"),
                        password=PASSWORD)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "setup":
        setup(sys.argv[2])
    else:
        raise SystemExit(__doc__)
