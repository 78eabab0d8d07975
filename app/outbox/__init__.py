"""The persistent outbox: messages to other systems (webhooks today, notifications later)
written in the transaction of the change that caused them, and delivered afterwards by a
worker, retried with backoff, each delivery recorded (model.py: the table; deliver.py: the
claiming, sending through a channel's sender, retries and clean-up)."""
