"""The CSV import tests' shop: a warranty form with every field type and rule on top of the
base config, its customers and users, and helpers to write a file, import it and read rows."""

from __future__ import annotations

import csv
import itertools
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask

from app.portal import portal_of
from app.transfer.importer import Outcome, import_file
from tests.support.app import CONFIG
from tests.support.factories import make_record

# A form with every field type and rule, so each kind of value is imported once.
WARRANTY = """\
key: warranty
label: {zh: 保修登记, en: Warranty registrations}
category: service
display: serial_no
fields:
  - {key: serial_no, label: {zh: 序列号, en: Serial number}, required: true, unique: true,
     max_length: 20, pattern: "[A-Z0-9-]+",
     pattern_message: {zh: 序列号只能包含大写字母、数字和连字符, en: "Capitals, digits, '-'"}}
  - {key: customer, label: {zh: 客户, en: Customer}, type: reference, form: customer,
     required: true}
  - {key: phone, label: {zh: 联系电话, en: Phone}, type: phone}
  - {key: email, label: {zh: 电子邮箱, en: E-mail}, type: email}
  - {key: address, label: {zh: 地址, en: Address}, max_length: 100, sensitive: true}
  - {key: purchase_date, label: {zh: 购买日期, en: Purchase date}, type: date, required: true}
  - {key: registered_at, label: {zh: 登记时间, en: Registered at}, type: datetime}
  - {key: price, label: {zh: 价格（元）, en: Price (CNY)}, type: money, min: 0, max: 100000}
  - {key: weight, label: {zh: 重量（千克）, en: Weight (kg)}, type: decimal, precision: 6,
     scale: 3}
  - {key: quantity, label: {zh: 数量, en: Quantity}, type: integer, min: 1, max: 10}
  - {key: rating, label: {zh: 评分, en: Rating}, type: rating}
  - {key: extended, label: {zh: 延保, en: Extended}, type: boolean}
  - key: channel
    label: {zh: 购买渠道, en: Channel}
    type: choice
    required: true
    choices:
      - {value: shop, label: {zh: 门店, en: Shop}}
      - {value: online, label: {zh: 网店, en: Online shop}}
  - key: status
    label: {zh: 状态, en: Status}
    type: choice
    default: open
    choices:
      - {value: open, label: {zh: 有效, en: Open}}
      - {value: closed, label: {zh: 已关闭, en: Closed}}
  - key: issues
    label: {zh: 故障, en: Issues}
    type: multi_choice
    choices:
      - {value: screen, label: {zh: 屏幕, en: Screen}}
      - {value: battery, label: {zh: 电池, en: Battery}}
      - {value: noise, label: {zh: 异响、杂音, en: "Noise, hum"}}
  - {key: handler, label: {zh: 处理人, en: Handler}, type: user, default: current_user}
  - {key: notes, label: {zh: 备注, en: Notes}, type: text, min_length: 2, max_length: 200}
  - {key: visit, label: {zh: 上门服务, en: Visit}, type: reference, form: visit}
"""
VISIT = """\
key: visit
label: {zh: 上门服务, en: Visits}
category: service
display: visit_date
fields:
  - {key: visit_date, label: {zh: 上门日期, en: Visit date}, type: date, required: true}
"""
HEADER = ["序列号", "客户", "购买日期", "购买渠道"]
COLUMNS = HEADER + ["联系电话", "电子邮箱", "地址", "登记时间", "价格（元）", "重量（千克）",
                    "数量", "评分", "延保", "故障", "处理人", "备注"]
_serials = itertools.count(1)


def serial() -> str:
    return f"SN-{next(_serials):04d}"


def good_row() -> dict[str, str]:
    return dict.fromkeys(COLUMNS, "") | {"序列号": serial(), "客户": "王五",
                                          "购买日期": "2026-01-05", "购买渠道": "门店"}


def build_shop(make_app: Callable[..., Flask], folder: Path) -> dict[str, Any]:
    """The base config plus the warranty form; customers 王五 (one) and 张三 (two), a
    disabled user and two users of the same full name."""
    config = folder / "config"
    shutil.copytree(CONFIG, config, ignore=shutil.ignore_patterns("industries"))
    (config / "forms" / "warranty.yaml").write_text(WARRANTY, encoding="utf-8")
    (config / "forms" / "visit.yaml").write_text(VISIT, encoding="utf-8")
    app = make_app(config)
    customer = portal_of(app).spec.form("customer")
    wang = make_record(app, customer, name="王五")
    zhang = [make_record(app, customer, name="张三") for _ in range(2)]
    with app.app_context():
        sm = app.appbuilder.sm
        leaver = sm.add_user("leaver", "离职", "员工", "leaver@example.com",
                             sm.find_role("staff"), password="Portal-test-pass-2026")
        leaver.active = False
        for name in ("wang1", "wang2"):  # the same full name twice
            sm.add_user(name, "客服", "小王", f"{name}@example.com", sm.find_role("staff"),
                        password="Portal-test-pass-2026")
        sm.session.commit()
        users = {u.username: u.id for u in sm.get_all_users()}
    return {"app": app, "wang": wang.id, "zhang": [z.id for z in zhang], "users": users}


def write(folder: Path, header: list[str], rows: list[list[str]],
          encoding: str = "utf-8-sig", name: str = "w.csv") -> Path:
    path = folder / name
    with open(path, "w", encoding=encoding, newline="") as fh:
        csv.writer(fh).writerows([header, *rows])
    return path


def run(app: Flask, path: Path, form: str = "warranty", **kwargs: Any
        ) -> tuple[Outcome, list[str]]:
    errors: list[str] = []
    with app.app_context():
        outcome = import_file(str(path), form, on_error=lambda e: errors.append(
            str(e).replace(f"{path}:", "")), **kwargs)
    return outcome, errors


def count(app: Flask, table: str = "form_warranty") -> int:
    with app.app_context():
        return int(app.appbuilder.session.scalar(sa.text(f"select count(*) from {table}")))


def stored(app: Flask, serial_no: str) -> dict[str, Any]:
    model = portal_of(app).models.models["warranty"]
    with app.app_context():
        item = app.appbuilder.session.scalars(
            sa.select(model).where(model.serial_no == serial_no)).one()
        return {c.name: getattr(item, c.key) for c in model.__table__.columns}
