"""Bodies (app/webhooks/body.py): sensitive fields masked in JSON and robot messages, a hook's
condition deciding which records are reported."""

from __future__ import annotations

import json

from app.portal import portal_of
from tests.support.factories import make_record
from tests.support.sla import complaint
from tests.support.webhooks import hook_config, outbox

CUSTOMERS = """key: customers
form: customer
events: [created]
url: http://127.0.0.1:9/x
secret_env: TEST_HOOK_SECRET
fields: [name, phone]
"""
ROBOT = """key: robot
form: customer
events: [created]
url: http://127.0.0.1:9/x
format: wecom
message: "新客户 {name} {phone} #{id}"
"""
QUALITY = """key: quality
form: complaint
events: [created]
condition: "channel == 'phone'"
url: http://127.0.0.1:9/x
secret_env: TEST_HOOK_SECRET
"""


def test_sensitive_fields_are_masked_and_conditions_filter(make_app, tmp_path):
    app = make_app(hook_config(tmp_path, customers=CUSTOMERS, robot=ROBOT, quality=QUALITY))
    customer = make_record(app, portal_of(app).spec.form("customer"), name="林女士",
                           phone="13812345678")
    rows = {r.target: r for r in outbox(app, form="customer")}
    record = json.loads(rows["customers"].body)["record"]
    assert (record["name"], record["phone"]) == ("林女士", "138****5678")
    assert "13812345678" not in rows["customers"].body
    assert json.loads(rows["robot"].body) == {"msgtype": "text", "text": {
        "content": f"新客户 林女士 138****5678 #{customer.id}"}}
    phone = complaint(app, "2026-12-01 09:00", channel="phone")
    complaint(app, "2026-12-01 09:00", channel="email")
    assert [r.record_id for r in outbox(app, target="quality")] == [str(phone.id)]
