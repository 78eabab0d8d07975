"""Outbound webhooks (config/webhooks/): record events queued in the portal's outbox in the
transaction of the change (capture.py), as a signed JSON body or a 企业微信 / 钉钉 robot
message built at that moment (body.py, signing.py), sent later by the outbox's worker
(send.py: the `webhook` channel of app/outbox/deliver.py)."""
