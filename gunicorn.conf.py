"""gunicorn settings for production: `.venv/bin/gunicorn` (this file is read by default).

Every value comes from the environment, so one file serves every server:
  PORT / HOST            where to listen (default 127.0.0.1:8080, behind the proxy)
  PORTAL_WORKERS         worker processes (default 2 per CPU core, plus one)
  PORTAL_THREADS         threads per worker (default 1); keep PORTAL_DB_POOL_SIZE at least
                         this large: a request holds at most one database connection
  PORTAL_TIMEOUT         seconds a request may take before its worker is replaced (60)
`kill -HUP <master pid>` starts new workers on the current YAML and lets the old ones finish
their requests: run `flask portal migrate` first, then HUP (the app is not preloaded, so each
new worker reads the configuration again).
"""

import multiprocessing
import os

wsgi_app = "wsgi:app"
bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8080')}"
workers = int(os.environ.get("PORTAL_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("PORTAL_THREADS", "1"))
timeout = int(os.environ.get("PORTAL_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
preload_app = False  # HUP must re-read the YAML in new workers
accesslog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'
errorlog = "-"
