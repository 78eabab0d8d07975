"""Notifications (config/notifications/): record events told to people — in the portal (the
bell and 我的通知, the portal_notification table, which is also the record of who was told
what), by e-mail and to 企业微信 / 钉钉 group robots (rows of the outbox, sent by its worker).
Captured in the transaction of the change (capture.py), like webhooks; near deadlines are
found by the SLA run (deadlines.py); senders in mail.py and robot.py."""
